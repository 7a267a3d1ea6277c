import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { wantsStdin, type Launcher } from './launcher.js';

/**
 * Starts commands with child_process.spawn. It forks the agent, which costs more the more memory the agent
 * holds; the image uses berth-spawner instead and this remains for hosts without the helper binary.
 */
export const nodeLauncher: Launcher = (spec, events) => {
  const hasStdin = wantsStdin(spec);
  let child: ChildProcessByStdio<Writable | null, Readable, Readable>;
  try {
    child = spawn(spec.argv[0] as string, spec.argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      detached: true, // own session and process group
      // No input: /dev/null rather than a pipe we would only close.
      stdio: [hasStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
  } catch (err) {
    // Synchronous failures (e.g. EACCES on some platforms) are reported like asynchronous ones.
    queueMicrotask(() => events.onError(errnoCode(err)));
    return { pause() {}, resume() {}, release() {}, write() {}, endInput() {} };
  }
  let closed = false;
  const close = (code: number | null, signal: NodeJS.Signals | null) => {
    if (closed) return;
    closed = true;
    events.onClose(code, signal);
  };
  if (child.pid !== undefined) events.onSpawn(child.pid);
  child.stdout.on('data', events.onStdout);
  child.stderr.on('data', events.onStderr);
  child.stdin?.on('error', () => {
    // EPIPE: the command exited or closed stdin without reading it all; not an error of the command.
  });
  child.on('error', (err) => {
    if (child.pid === undefined && !closed) {
      closed = true;
      events.onError(errnoCode(err));
    }
  });
  child.on('close', (code, signal) => close(code, signal));
  if (spec.keepStdinOpen) {
    if (spec.stdin) child.stdin?.write(spec.stdin);
  } else if (hasStdin) child.stdin?.end(spec.stdin);
  return {
    pause() {
      child.stdout.pause();
      child.stderr.pause();
    },
    resume() {
      child.stdout.resume();
      child.stderr.resume();
    },
    release() {
      child.stdout.destroy();
      child.stderr.destroy();
      close(child.exitCode, child.signalCode);
    },
    write(chunk) {
      if (spec.keepStdinOpen && child.stdin?.writable) child.stdin.write(chunk);
    },
    endInput() {
      if (child.stdin?.writable) child.stdin.end();
    },
  };
};

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'EIO';
}
