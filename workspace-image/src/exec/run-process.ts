import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { commandEnded, commandStarted } from './activity.js';

export interface RunOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  timeoutMs: number;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

export interface ProcessOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

export interface RunningProcess {
  readonly done: Promise<ProcessOutcome>;
  /** SIGKILLs the whole process group (client went away). */
  kill(): void;
  /** Backpressure: stop/restart reading the child's output (the child blocks once the pipe is full). */
  pause(): void;
  resume(): void;
}

/** After the group was killed, how long to wait for pipes held by escaped (setsid) processes. */
const KILL_GRACE_MS = 1000;

/**
 * Runs argv without a shell in its own process group, so a timeout or a disconnect can SIGKILL every
 * process it started (`sh -c 'sleep 100 & sleep 100'` included). Completion waits for stdout/stderr to
 * close, like a shell's `$(...)`: a background process still holding them keeps the command running until
 * it exits or the timeout kills the group. Spawn failures become exit codes as a shell reports them
 * (127 not found, 126 not executable) with a message on stderr, never an exception.
 */
export function runProcess(opts: RunOptions): RunningProcess {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const hasStdin = opts.stdin !== undefined && opts.stdin.length > 0;
  let child: ChildProcessByStdio<Writable | null, Readable, Readable>;
  try {
    child = spawn(opts.argv[0] as string, opts.argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      detached: true, // own process group: kill(-pid) reaches grandchildren
      // No input: /dev/null rather than a pipe we would only close (one pipe less per command).
      stdio: [hasStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
  } catch (err) {
    // Synchronous failures (e.g. EACCES on some platforms) are reported like asynchronous ones.
    return failed(opts, err, elapsed);
  }
  const proc = child;
  commandStarted();
  let timedOut = false;
  let finished = false;
  let armGrace = () => {};

  const killGroup = () => {
    if (finished || proc.pid === undefined) return;
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already gone.
    }
  };

  const done = new Promise<ProcessOutcome>((resolve) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: Omit<ProcessOutcome, 'durationMs' | 'timedOut'>) => {
      if (finished) return;
      finished = true;
      commandEnded();
      clearTimeout(timer);
      clearTimeout(graceTimer);
      resolve({ ...outcome, timedOut, durationMs: elapsed() });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
      armGrace();
    }, opts.timeoutMs);
    // Pipes held by processes outside the group (setsid) would keep 'close' from firing: give up on them.
    armGrace = () => {
      if (finished) return;
      graceTimer ??= setTimeout(() => {
        proc.stdout.destroy();
        proc.stderr.destroy();
        finish({ exitCode: proc.exitCode, signal: proc.signalCode });
      }, KILL_GRACE_MS);
    };
    proc.stdout.on('data', opts.onStdout);
    proc.stderr.on('data', opts.onStderr);
    proc.stdin?.on('error', () => {
      // EPIPE: the child exited or closed stdin without reading it all; not an error of the command.
    });
    proc.on('error', (err: NodeJS.ErrnoException) => {
      if (proc.pid === undefined) {
        opts.onStderr(Buffer.from(spawnErrorMessage(opts.argv[0] as string, err)));
        finish({ exitCode: spawnErrorExitCode(err), signal: null });
      }
    });
    proc.on('close', (code, signal) => finish({ exitCode: code, signal }));
  });

  if (hasStdin) proc.stdin?.end(opts.stdin);

  return {
    done,
    kill() {
      killGroup();
      armGrace();
    },
    pause() {
      proc.stdout.pause();
      proc.stderr.pause();
    },
    resume() {
      proc.stdout.resume();
      proc.stderr.resume();
    },
  };
}

function failed(opts: RunOptions, err: unknown, elapsed: () => number): RunningProcess {
  const e = err as NodeJS.ErrnoException;
  const done = Promise.resolve().then(() => {
    opts.onStderr(Buffer.from(spawnErrorMessage(opts.argv[0] as string, e)));
    return { exitCode: spawnErrorExitCode(e), signal: null, timedOut: false, durationMs: elapsed() };
  });
  return { done, kill() {}, pause() {}, resume() {} };
}

function spawnErrorExitCode(err: NodeJS.ErrnoException): number {
  return err.code === 'ENOENT' ? 127 : 126;
}

function spawnErrorMessage(cmd: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `berth-agent: ${cmd}: command not found\n`;
  if (err.code === 'EACCES') return `berth-agent: ${cmd}: permission denied\n`;
  return `berth-agent: ${cmd}: cannot execute (${err.code ?? err.message})\n`;
}
