import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { CommandExitEventData, CommandStatus } from '@berth/protocol';
import { ByteCap } from './byte-cap.js';
import { CommandLog } from './command-log.js';
import type { ProcessOutcome, RunningProcess } from './run-process.js';

/** A command the agent started and keeps: its process while it runs, its numbered events, its end. */
export interface RegisteredCommand {
  readonly id: string;
  readonly cmd: string[];
  readonly startedAt: number;
  endedAt: number | null;
  outcome: ProcessOutcome | null;
  readonly log: CommandLog;
  readonly process: RunningProcess;
  /** Resolves once the `exit` event is in the log. */
  readonly ended: Promise<void>;
}

/** Starts the process with the two output callbacks the registry hands it. */
export type Spawn = (onStdout: (b: Buffer) => void, onStderr: (b: Buffer) => void) => RunningProcess;

/**
 * The commands of this workspace, each with an id and a log of its events (command-log.ts) that outlives the
 * connection that started it: a reader reattaches from the last event it saw, a background command runs on
 * with nobody reading. Running commands are all kept; of the ended ones the newest `endedKept`, their logs
 * with them (the oldest go first).
 */
export class CommandRegistry {
  private readonly commands = new Map<string, RegisteredCommand>();

  constructor(private readonly opts: { bufferBytes: number; endedKept: number }) {}

  /** `capBytes`: output kept per stream at most (beyond it dropped, and the exit says `truncated`). */
  start(cmd: string[], spawn: Spawn, opts: { capBytes?: number } = {}): RegisteredCommand {
    const id = `cmd_${randomBytes(12).toString('hex')}`;
    const log = new CommandLog(this.opts.bufferBytes);
    // UTF-8 decoded per stream without splitting a character across events; each event counts its bytes.
    const output = (event: 'stdout' | 'stderr') => {
      const decoder = new StringDecoder('utf8');
      const cap = new ByteCap(opts.capBytes ?? Number.POSITIVE_INFINITY);
      const add = (text: string, bytes: number) => {
        if (text !== '') log.append({ event, data: text }, bytes);
      };
      const chunk = (b: Buffer) => {
        const kept = cap.take(b);
        add(decoder.write(kept), kept.length);
      };
      return { chunk, cap, flush: () => add(decoder.end(), 0) };
    };
    const out = output('stdout');
    const err = output('stderr');
    const process = spawn(out.chunk, err.chunk);
    const entry: RegisteredCommand = {
      id,
      cmd,
      startedAt: Date.now(),
      endedAt: null,
      outcome: null,
      log,
      process,
      ended: process.done.then((outcome) => {
        out.flush();
        err.flush();
        entry.outcome = outcome;
        entry.endedAt = Date.now();
        const exit: CommandExitEventData = {
          exitCode: outcome.exitCode,
          signal: outcome.signal,
          durationMs: outcome.durationMs,
          timedOut: outcome.timedOut,
          truncated: out.cap.truncated || err.cap.truncated,
        };
        log.append({ event: 'exit', data: exit }, 0);
        this.forgetOldEnded();
      }),
    };
    this.commands.set(id, entry);
    return entry;
  }

  get(id: string): RegisteredCommand | undefined {
    return this.commands.get(id);
  }

  /** Running and recently ended commands, oldest first. */
  list(): CommandStatus[] {
    return [...this.commands.values()].map(statusOf);
  }

  private forgetOldEnded() {
    const ended = [...this.commands.values()].filter((c) => c.endedAt !== null);
    for (const old of ended.slice(0, Math.max(0, ended.length - this.opts.endedKept))) {
      this.commands.delete(old.id);
    }
  }
}

export function statusOf(c: RegisteredCommand): CommandStatus {
  return {
    commandId: c.id,
    cmd: c.cmd,
    status: c.outcome ? 'exited' : 'running',
    exitCode: c.outcome?.exitCode ?? null,
    signal: c.outcome?.signal ?? null,
    timedOut: c.outcome?.timedOut ?? false,
    startedAt: new Date(c.startedAt).toISOString(),
    endedAt: c.endedAt === null ? null : new Date(c.endedAt).toISOString(),
  };
}
