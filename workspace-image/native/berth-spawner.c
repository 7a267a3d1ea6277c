/*
 * berth-spawner: starts the workspace agent's commands with posix_spawn and relays their output.
 *
 * Why it exists: Node (libuv) starts every child with fork(), whose cost grows with the parent's resident
 * memory (page tables copied, then copy-on-write faults in the parent). From the ~65 MiB agent that is
 * ~2 ms per command on a small VM; glibc's posix_spawn (clone with CLONE_VM|CLONE_VFORK) copies nothing.
 * The agent starts this helper once and talks to it over its stdin/stdout; the agent keeps every policy
 * (timeouts, kills, caps, activity), this program only spawns, pipes and reaps.
 *
 * Frames, both ways: u8 type, u32 id (little endian), u32 length, then `length` bytes.
 *   agent -> helper: SPAWN (u32 argc, u32 envc, u8 flags [1 = stdin is a pipe], then NUL-terminated cwd,
 *                    argv..., env...), STDIN (bytes), STDIN_END, PAUSE, RESUME, RELEASE (stop reading the
 *                    output: escaped processes hold the pipes).
 *   helper -> agent: SPAWNED (u32 pid), FAILED (u32 errno), STDOUT / STDERR (bytes), EOF (u8 1 = stdout,
 *                    2 = stderr), EXIT (i32 exit code or -1, i32 signal or 0).
 * A command is done for the agent once it has EXIT and both EOFs. When the agent goes away (EOF on stdin)
 * every command's process group is killed and the helper exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
  T_SPAWN = 1, T_STDIN = 2, T_STDIN_END = 3, T_PAUSE = 4, T_RESUME = 5, T_RELEASE = 6,
  T_SPAWNED = 11, T_FAILED = 12, T_STDOUT = 13, T_STDERR = 14, T_EOF = 15, T_EXIT = 16,
};

#define HEADER 9
#define READ_CHUNK 65536
#define MAX_FRAME (64u * 1024 * 1024)

struct cmd {
  int used;
  uint32_t id;
  pid_t pid;
  int out, err, in; /* read ends of stdout/stderr, write end of stdin; -1 once closed */
  char *pending;    /* stdin not yet written */
  size_t pending_len, pending_off;
  int stdin_end, paused, exited;
};

static struct cmd *cmds;
static size_t ncmds;
static unsigned char *inbuf;
static size_t inlen, incap;
static unsigned char chunk[READ_CHUNK];

static void put32(unsigned char *p, uint32_t v) {
  p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = (v >> 24) & 0xff;
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Frames to the agent are gathered and written once per loop turn (flush_frames): a command's SPAWNED, or
 * its EOFs and EXIT, reach the agent in one write and wake it once. Writes block; the agent always reads,
 * so this cannot deadlock.
 */
static unsigned char *outbuf;
static size_t outlen, outcap;

static void flush_frames(void) {
  size_t off = 0;
  while (off < outlen) {
    ssize_t w = write(1, outbuf + off, outlen - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(3); /* the agent is gone */
    }
    off += (size_t)w;
  }
  outlen = 0;
}

static void send_frame(int type, uint32_t id, const void *data, uint32_t len) {
  if (outlen + HEADER + len > outcap) {
    if (outlen > 0) flush_frames();
    if (HEADER + len > outcap) {
      size_t cap = HEADER + len > 4 * READ_CHUNK ? HEADER + len : 4 * READ_CHUNK;
      unsigned char *grown = realloc(outbuf, cap);
      if (!grown) _exit(4);
      outbuf = grown;
      outcap = cap;
    }
  }
  unsigned char *h = outbuf + outlen;
  h[0] = (unsigned char)type;
  put32(h + 1, id);
  put32(h + 5, len);
  if (len) memcpy(h + HEADER, data, len);
  outlen += HEADER + len;
}

static void send_u32(int type, uint32_t id, uint32_t v) {
  unsigned char b[4];
  put32(b, v);
  send_frame(type, id, b, 4);
}

static struct cmd *find(uint32_t id) {
  for (size_t i = 0; i < ncmds; i++)
    if (cmds[i].used && cmds[i].id == id) return &cmds[i];
  return NULL;
}

static struct cmd *slot(void) {
  for (size_t i = 0; i < ncmds; i++)
    if (!cmds[i].used) return &cmds[i];
  size_t old = ncmds, n = ncmds ? ncmds * 2 : 16;
  struct cmd *grown = realloc(cmds, n * sizeof *cmds);
  if (!grown) return NULL;
  memset(grown + old, 0, (n - old) * sizeof *cmds);
  cmds = grown;
  ncmds = n;
  return &cmds[old];
}

static void close_in(struct cmd *c) {
  if (c->in >= 0) close(c->in);
  c->in = -1;
  free(c->pending);
  c->pending = NULL;
  c->pending_len = c->pending_off = 0;
}

static void close_out(struct cmd *c, int stream) {
  int *fd = stream == 1 ? &c->out : &c->err;
  if (*fd < 0) return;
  close(*fd);
  *fd = -1;
  unsigned char s = (unsigned char)stream;
  send_frame(T_EOF, c->id, &s, 1);
}

static void maybe_free(struct cmd *c) {
  if (c->exited && c->out < 0 && c->err < 0) {
    close_in(c);
    c->used = 0;
  }
}

/* PATH of the command's own environment, as execvp would search it. */
static const char *env_path(char **env) {
  for (; *env; env++)
    if (strncmp(*env, "PATH=", 5) == 0) return *env + 5;
  return "/usr/local/bin:/usr/bin:/bin";
}

static int spawn_at(pid_t *pid, const char *path, posix_spawn_file_actions_t *fa, posix_spawnattr_t *at,
                    char **argv, char **env) {
  int rc = posix_spawn(pid, path, fa, at, argv, env);
  if (rc != ENOEXEC) return rc;
  /* A script without #!: run it with /bin/sh, as execvp does. */
  size_t argc = 0;
  while (argv[argc]) argc++;
  char **sh = calloc(argc + 2, sizeof *sh);
  if (!sh) return ENOMEM;
  sh[0] = "sh";
  sh[1] = (char *)path;
  for (size_t i = 1; i < argc; i++) sh[i + 1] = argv[i];
  rc = posix_spawn(pid, "/bin/sh", fa, at, sh, env);
  free(sh);
  return rc;
}

/* execvp's lookup: a name with a slash is used as is, otherwise each PATH entry is tried in turn. */
static int spawn_cmd(pid_t *pid, posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, char **argv,
                     char **env) {
  const char *name = argv[0];
  if (!name || !*name) return ENOENT;
  if (strchr(name, '/')) return spawn_at(pid, name, fa, at, argv, env);
  int seen_eacces = 0;
  const char *p = env_path(env);
  char full[PATH_MAX];
  for (;;) {
    const char *end = strchr(p, ':');
    size_t dlen = end ? (size_t)(end - p) : strlen(p);
    if (dlen + strlen(name) + 2 <= sizeof full) {
      if (dlen == 0) {
        strcpy(full, name); /* empty entry: the current directory */
      } else {
        memcpy(full, p, dlen);
        full[dlen] = '/';
        strcpy(full + dlen + 1, name);
      }
      struct stat st;
      if (stat(full, &st) == 0 && !S_ISDIR(st.st_mode)) {
        int rc = spawn_at(pid, full, fa, at, argv, env);
        if (rc == 0) return 0;
        if (rc == EACCES) seen_eacces = 1;
        else if (rc != ENOENT && rc != ENOTDIR) return rc;
      }
    }
    if (!end) break;
    p = end + 1;
  }
  return seen_eacces ? EACCES : ENOENT;
}

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void do_spawn(uint32_t id, const unsigned char *p, uint32_t len) {
  if (len < 9 || p[len - 1] != 0) {
    send_u32(T_FAILED, id, EINVAL);
    return;
  }
  uint32_t argc = get32(p), envc = get32(p + 4);
  int with_stdin = p[8] & 1;
  if (argc == 0 || argc > len || envc > len) {
    send_u32(T_FAILED, id, EINVAL);
    return;
  }
  char **argv = calloc(argc + 1, sizeof *argv), **env = calloc(envc + 1, sizeof *env);
  const char *s = (const char *)p + 9, *limit = (const char *)p + len;
  const char *cwd = s;
  s += strlen(s) + 1;
  int ok = argv && env;
  for (uint32_t i = 0; ok && i < argc; i++) {
    if (s >= limit) ok = 0;
    else { argv[i] = (char *)s; s += strlen(s) + 1; }
  }
  for (uint32_t i = 0; ok && i < envc; i++) {
    if (s >= limit) ok = 0;
    else { env[i] = (char *)s; s += strlen(s) + 1; }
  }
  struct cmd *c = ok ? slot() : NULL;
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  if (!c || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || (with_stdin && pipe2(in, O_CLOEXEC))) {
    int e = ok ? errno : EINVAL;
    for (int i = 0; i < 2; i++) {
      if (out[i] >= 0) close(out[i]);
      if (err[i] >= 0) close(err[i]);
      if (in[i] >= 0) close(in[i]);
    }
    free(argv);
    free(env);
    send_u32(T_FAILED, id, e ? (uint32_t)e : EIO);
    return;
  }

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (with_stdin) posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  if (*cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  /* Own session and process group, as Node's `detached: true`: kill(-pid) reaches every descendant. */
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = 0;
  int rc = spawn_cmd(&pid, &fa, &at, argv, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  free(argv);
  free(env);
  close(out[1]);
  close(err[1]);
  if (with_stdin) close(in[0]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    if (with_stdin) close(in[1]);
    send_u32(T_FAILED, id, (uint32_t)rc);
    return;
  }
  memset(c, 0, sizeof *c);
  c->used = 1;
  c->id = id;
  c->pid = pid;
  c->out = out[0];
  c->err = err[0];
  c->in = with_stdin ? in[1] : -1;
  nonblock(c->out);
  nonblock(c->err);
  if (c->in >= 0) nonblock(c->in);
  send_u32(T_SPAWNED, id, (uint32_t)pid);
}

static void queue_stdin(struct cmd *c, const unsigned char *p, uint32_t len) {
  if (c->in < 0 || len == 0) return;
  size_t left = c->pending_len - c->pending_off;
  char *buf = malloc(left + len);
  if (!buf) {
    close_in(c);
    return;
  }
  if (left) memcpy(buf, c->pending + c->pending_off, left);
  memcpy(buf + left, p, len);
  free(c->pending);
  c->pending = buf;
  c->pending_len = left + len;
  c->pending_off = 0;
}

static void flush_stdin(struct cmd *c) {
  while (c->in >= 0 && c->pending_off < c->pending_len) {
    ssize_t w = write(c->in, c->pending + c->pending_off, c->pending_len - c->pending_off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      close_in(c); /* EPIPE: the command does not read its input; not an error of the command */
      return;
    }
    c->pending_off += (size_t)w;
  }
  if (c->in >= 0 && c->stdin_end) close_in(c);
}

static void handle_frame(int type, uint32_t id, const unsigned char *p, uint32_t len) {
  if (type == T_SPAWN) {
    do_spawn(id, p, len);
    return;
  }
  struct cmd *c = find(id);
  if (!c) return; /* already finished */
  switch (type) {
  case T_STDIN: queue_stdin(c, p, len); flush_stdin(c); break;
  case T_STDIN_END: c->stdin_end = 1; flush_stdin(c); break;
  case T_PAUSE: c->paused = 1; break;
  case T_RESUME: c->paused = 0; break;
  case T_RELEASE: close_out(c, 1); close_out(c, 2); maybe_free(c); break;
  }
}

/* Reads what the agent sent; returns 0 when it has gone away. */
static int read_control(void) {
  if (incap - inlen < READ_CHUNK) {
    size_t cap = incap ? incap * 2 : 2 * READ_CHUNK;
    unsigned char *grown = realloc(inbuf, cap);
    if (!grown) _exit(4);
    inbuf = grown;
    incap = cap;
  }
  ssize_t r = read(0, inbuf + inlen, incap - inlen);
  if (r < 0) return errno == EINTR || errno == EAGAIN;
  if (r == 0) return 0;
  inlen += (size_t)r;
  size_t off = 0;
  while (inlen - off >= HEADER) {
    uint32_t len = get32(inbuf + off + 5);
    if (len > MAX_FRAME) _exit(5); /* not our agent speaking */
    if (inlen - off < HEADER + len) break;
    handle_frame(inbuf[off], get32(inbuf + off + 1), inbuf + off + HEADER, len);
    off += HEADER + len;
  }
  memmove(inbuf, inbuf + off, inlen - off);
  inlen -= off;
  return 1;
}

static void read_output(struct cmd *c, int stream) {
  int fd = stream == 1 ? c->out : c->err;
  ssize_t r = read(fd, chunk, sizeof chunk);
  if (r > 0) send_frame(stream == 1 ? T_STDOUT : T_STDERR, c->id, chunk, (uint32_t)r);
  else if (r == 0 || (errno != EINTR && errno != EAGAIN)) close_out(c, stream);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (size_t i = 0; i < ncmds; i++) {
      struct cmd *c = &cmds[i];
      if (!c->used || c->pid != pid) continue;
      unsigned char b[8];
      put32(b, WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : (uint32_t)-1);
      put32(b + 4, WIFSIGNALED(status) ? (uint32_t)WTERMSIG(status) : 0);
      c->exited = 1;
      send_frame(T_EXIT, c->id, b, 8);
      close_in(c);
      maybe_free(c);
      break;
    }
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return 2;

  struct pollfd *fds = NULL;
  struct cmd **owner = NULL;
  int *stream = NULL;
  size_t cap = 0;
  for (;;) {
    size_t need = 2 + ncmds * 3;
    if (need > cap) {
      cap = need * 2;
      fds = realloc(fds, cap * sizeof *fds);
      owner = realloc(owner, cap * sizeof *owner);
      stream = realloc(stream, cap * sizeof *stream);
      if (!fds || !owner || !stream) return 4;
    }
    size_t n = 0;
    fds[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    for (size_t i = 0; i < ncmds; i++) {
      struct cmd *c = &cmds[i];
      if (!c->used) continue;
      if (!c->paused && c->out >= 0) { owner[n] = c; stream[n] = 1; fds[n++] = (struct pollfd){.fd = c->out, .events = POLLIN}; }
      if (!c->paused && c->err >= 0) { owner[n] = c; stream[n] = 2; fds[n++] = (struct pollfd){.fd = c->err, .events = POLLIN}; }
      if (c->in >= 0 && c->pending_off < c->pending_len) { owner[n] = c; stream[n] = 0; fds[n++] = (struct pollfd){.fd = c->in, .events = POLLOUT}; }
    }
    flush_frames();
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      return 6;
    }
    if (fds[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
      reap();
    }
    /* Output before control: a RELEASE read below must not leave these fds half-handled. */
    for (size_t i = 2; i < n; i++) {
      if (!fds[i].revents) continue;
      struct cmd *c = owner[i];
      if (!c->used) continue;
      if (stream[i] == 0) flush_stdin(c);
      else if ((stream[i] == 1 ? c->out : c->err) == fds[i].fd) read_output(c, stream[i]);
      maybe_free(c);
    }
    if (fds[0].revents && !read_control()) {
      for (size_t i = 0; i < ncmds; i++)
        if (cmds[i].used && !cmds[i].exited) kill(-cmds[i].pid, SIGKILL);
      return 0;
    }
  }
}
