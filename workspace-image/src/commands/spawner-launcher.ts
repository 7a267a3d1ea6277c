import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { wantsStdin, type ChildEvents, type Launcher } from './launcher.js';
import { killProcessGroup } from './process-group.js';

// Frame types of native/berth-spawner.c (its header comment is the protocol).
const T = {
  spawn: 1,
  stdin: 2,
  stdinEnd: 3,
  pause: 4,
  resume: 5,
  release: 6,
  spawned: 11,
  failed: 12,
  stdout: 13,
  stderr: 14,
  eof: 15,
  exit: 16,
} as const;
const HEADER = 9;
/** Stdin goes over in frames of at most this size, so one large input does not hold up other commands. */
const STDIN_FRAME = 64 * 1024;

const ERRNO_CODES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([k, v]) => [v, k as NodeJS.Signals]),
);

interface Pending {
  events: ChildEvents;
  pid?: number;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  openStreams: number;
}

/**
 * Starts commands through berth-spawner (native/berth-spawner.c), a small helper started once that uses
 * posix_spawn: no fork of the agent per command. Output comes back as frames on the helper's stdout. If the
 * helper dies (a command may kill it: same uid), its running commands are killed and reported so, and the
 * next command starts a new helper.
 */
export function spawnerLauncher(helperPath: string, onHelperExit?: (reason: string) => void): Launcher {
  let helper: ChildProcessByStdio<Writable, Readable, null> | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const send = (type: number, id: number, payload?: Buffer) => {
    const head = Buffer.allocUnsafe(HEADER);
    head.writeUInt8(type, 0);
    head.writeUInt32LE(id, 1);
    head.writeUInt32LE(payload?.length ?? 0, 5);
    helper?.stdin.write(payload ? Buffer.concat([head, payload]) : head);
  };

  const finish = (id: number, p: Pending) => {
    if (p.exit && p.openStreams === 0) {
      pending.delete(id);
      p.events.onClose(p.exit.code, p.exit.signal);
    }
  };

  const onFrame = (type: number, id: number, body: Buffer) => {
    const p = pending.get(id);
    if (!p) return; // released
    switch (type) {
      case T.spawned:
        p.pid = body.readUInt32LE(0);
        p.events.onSpawn(p.pid);
        break;
      case T.failed:
        pending.delete(id);
        p.events.onError(ERRNO_CODES.get(body.readUInt32LE(0)) ?? 'EIO');
        break;
      case T.stdout:
        p.events.onStdout(body);
        break;
      case T.stderr:
        p.events.onStderr(body);
        break;
      case T.eof:
        p.openStreams--;
        finish(id, p);
        break;
      case T.exit: {
        const code = body.readInt32LE(0);
        const sig = body.readInt32LE(4);
        p.exit = { code: code < 0 ? null : code, signal: sig ? (SIGNAL_NAMES.get(sig) ?? null) : null };
        finish(id, p);
        break;
      }
    }
  };

  const start = () => {
    const proc = spawn(helperPath, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf: Buffer = Buffer.alloc(0);
    proc.stdout.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let off = 0;
      while (buf.length - off >= HEADER) {
        const len = buf.readUInt32LE(off + 5);
        if (buf.length - off < HEADER + len) break;
        // A copy: `buf` is reused for the next chunk, while handlers may keep the body.
        onFrame(
          buf[off]!,
          buf.readUInt32LE(off + 1),
          Buffer.from(buf.subarray(off + HEADER, off + HEADER + len)),
        );
        off += HEADER + len;
      }
      buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
    });
    proc.stdin.on('error', () => {}); // the helper died: 'exit' below handles it
    const gone = (reason: string) => {
      if (helper !== proc) return;
      helper = undefined;
      onHelperExit?.(reason);
      // Their pipes went with the helper: end them (whole groups) rather than leave them running unseen.
      for (const [id, p] of pending) {
        pending.delete(id);
        if (p.pid !== undefined) killProcessGroup(p.pid);
        p.events.onClose(null, 'SIGKILL');
      }
    };
    proc.on('error', (err) => gone(String(err)));
    proc.on('exit', (code, signal) => gone(`exited with ${signal ?? code}`));
    return proc;
  };

  return (spec, events) => {
    helper ??= start();
    const id = nextId;
    nextId = nextId >= 0xffff_ffff ? 1 : nextId + 1;
    const hasStdin = wantsStdin(spec);
    const env = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
    const head = Buffer.alloc(9);
    head.writeUInt32LE(spec.argv.length, 0);
    head.writeUInt32LE(env.length, 4);
    head.writeUInt8(hasStdin ? 1 : 0, 8);
    const strings = Buffer.from([spec.cwd, ...spec.argv, ...env].map((s) => `${s}\0`).join(''));
    pending.set(id, { events, openStreams: 2 });
    send(T.spawn, id, Buffer.concat([head, strings]));
    let inputOpen = hasStdin;
    const input = (chunk: Buffer) => {
      for (let off = 0; off < chunk.length; off += STDIN_FRAME)
        send(T.stdin, id, chunk.subarray(off, off + STDIN_FRAME));
    };
    const endInput = () => {
      if (!inputOpen) return;
      inputOpen = false;
      send(T.stdinEnd, id);
    };
    if (spec.stdin) input(Buffer.from(spec.stdin));
    if (!spec.keepStdinOpen) endInput();
    return {
      write(chunk) {
        if (inputOpen && pending.has(id)) input(chunk);
      },
      endInput,
      pause: () => send(T.pause, id),
      resume: () => send(T.resume, id),
      release() {
        const p = pending.get(id);
        if (!p) return;
        pending.delete(id);
        send(T.release, id);
        p.events.onClose(p.exit?.code ?? null, p.exit?.signal ?? null);
      },
    };
  };
}
