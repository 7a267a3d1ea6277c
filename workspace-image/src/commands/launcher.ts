/**
 * How a command's process is started. Two implementations: `spawner-launcher.ts` (the berth-spawner helper,
 * posix_spawn: the default where the binary is installed, as in the image) and `node-launcher.ts`
 * (child_process.spawn: the fallback). run-process.ts holds the policy (timeouts, kills, activity) over either.
 */
export interface LaunchSpec {
  /** argv; no shell. `argv[0]` is looked up on the PATH of `env`. */
  argv: string[];
  cwd: string;
  /** The whole environment of the command. */
  env: Record<string, string>;
  /** Written to the command's stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
  /** Stdin stays open after `stdin` (if any) for {@link ChildControl.write} until `endInput` (a background command). */
  keepStdinOpen?: boolean;
}

export interface ChildEvents {
  /** The process exists; it leads its own session and process group, so kill(-pid) reaches all of it. */
  onSpawn(pid: number): void;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** It could not be started (errno code such as ENOENT or EACCES). Nothing follows. */
  onError(code: string): void;
  /** It exited and both output streams ended (or were released). Nothing follows. */
  onClose(exitCode: number | null, signal: NodeJS.Signals | null): void;
}

export interface ChildControl {
  /** Backpressure: stop/restart reading output (the command blocks once its pipe is full). */
  pause(): void;
  resume(): void;
  /** Stop waiting for output that escaped processes still hold: onClose follows at once with what is known. */
  release(): void;
  /** More input, where stdin was kept open (ignored otherwise, and once ended). */
  write(chunk: Buffer): void;
  /** Closes stdin (the command reads EOF). */
  endInput(): void;
}

export type Launcher = (spec: LaunchSpec, events: ChildEvents) => ChildControl;

/** Whether the command gets a stdin pipe: input to write, or stdin kept open (else it reads /dev/null). */
export const wantsStdin = (spec: LaunchSpec) =>
  spec.keepStdinOpen === true || (spec.stdin !== undefined && spec.stdin.length > 0);
