import { commandEnded, commandStarted } from './activity.js';
import type { ChildControl, Launcher, LaunchSpec } from './launcher.js';
import { killProcessGroup } from './process-group.js';

export interface ProcessOptions extends LaunchSpec {
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
  /** Input for a command started with `keepStdinOpen`; `endInput` closes its stdin. */
  write(chunk: Buffer): void;
  endInput(): void;
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
export function runProcess(opts: ProcessOptions, launch: Launcher): RunningProcess {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let pid: number | undefined;
  let killRequested = false;
  let timedOut = false;
  let finished = false;
  let armGrace = () => {};
  let child: ChildControl | undefined;

  const killGroup = () => {
    if (finished) return;
    killRequested = true;
    if (pid !== undefined) killProcessGroup(pid); // else: killed as soon as it exists
  };

  commandStarted();
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
    // Pipes held by processes outside the group (setsid) would keep the command open: give up on them.
    armGrace = () => {
      if (finished) return;
      graceTimer ??= setTimeout(() => child?.release(), KILL_GRACE_MS);
    };
    child = launch(opts, {
      onSpawn(p) {
        pid = p;
        if (killRequested) killGroup();
      },
      onStdout: opts.onStdout,
      onStderr: opts.onStderr,
      onError(code) {
        opts.onStderr(Buffer.from(spawnErrorMessage(opts.argv[0] as string, code)));
        finish({ exitCode: code === 'ENOENT' ? 127 : 126, signal: null });
      },
      onClose: (exitCode, signal) => finish({ exitCode, signal }),
    });
  });

  return {
    done,
    kill() {
      killGroup();
      armGrace();
    },
    pause: () => child?.pause(),
    resume: () => child?.resume(),
    write: (chunk) => child?.write(chunk),
    endInput: () => child?.endInput(),
  };
}

function spawnErrorMessage(cmd: string, code: string): string {
  if (code === 'ENOENT') return `berth-agent: ${cmd}: command not found\n`;
  if (code === 'EACCES') return `berth-agent: ${cmd}: permission denied\n`;
  return `berth-agent: ${cmd}: cannot execute (${code})\n`;
}
