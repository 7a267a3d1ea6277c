import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../context.js';
import { readJsonObject, sendJson } from '../http-io.js';
import {
  WORKSPACE_AGENT_LIMITS,
  COMMAND_BINARY_HEADERS,
  COMMAND_ID_HEADER,
  type CommandResult,
} from '@berth/protocol';
import { streamEvents } from './command-event-stream.js';
import { ByteCap } from './byte-cap.js';
import { parseCommandRequest, type CommandPlan } from './command-request.js';
import type { RunningProcess } from './run-process.js';
import { runPlan } from './run-plan.js';

/** Keeps the first `cap` bytes of a stream and notes whether more came. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private readonly cap: ByteCap;
  constructor(cap: number) {
    this.cap = new ByteCap(cap);
  }

  push(chunk: Buffer): void {
    const kept = this.cap.take(chunk);
    if (kept.length > 0) this.chunks.push(kept);
  }

  get truncated(): boolean {
    return this.cap.truncated;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

async function plan(ctx: RequestContext): Promise<CommandPlan> {
  return parseCommandRequest(await readJsonObject(ctx.req), ctx.ws);
}

function start(
  ctx: RequestContext,
  p: CommandPlan,
  onStdout: (b: Buffer) => void,
  onStderr: (b: Buffer) => void,
) {
  const proc = runPlan(ctx, p, onStdout, onStderr);
  killOnDisconnect(ctx.res, proc);
  return proc;
}

/** A client that goes away before the answer is complete takes its command with it. */
function killOnDisconnect(res: ServerResponse, proc: RunningProcess): void {
  res.on('close', () => {
    if (!res.writableFinished) proc.kill();
  });
}

/**
 * Runs the command to its end with stdout and stderr kept up to their caps. Null when the client went away
 * meanwhile (nothing left to answer).
 */
async function runCaptured(ctx: RequestContext, p: CommandPlan, stdoutCap: number, stderrCap: number) {
  const stdout = new CappedBuffer(stdoutCap);
  const stderr = new CappedBuffer(stderrCap);
  const proc = start(
    ctx,
    p,
    (b) => stdout.push(b),
    (b) => stderr.push(b),
  );
  const outcome = await proc.done;
  return ctx.res.destroyed ? null : { outcome, stdout, stderr };
}

/** POST /exec: buffered JSON result. */
export async function handleCommand(ctx: RequestContext): Promise<void> {
  const p = await plan(ctx);
  const cap = p.maxOutputBytes ?? ctx.config.maxOutputBytes;
  const run = await runCaptured(ctx, p, cap, cap);
  if (!run) return;
  const { outcome, stdout, stderr } = run;
  const result: CommandResult = {
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    stdout: stdout.toBuffer().toString('utf8'),
    stderr: stderr.toBuffer().toString('utf8'),
    durationMs: outcome.durationMs,
    timedOut: outcome.timedOut,
    truncated: stdout.truncated || stderr.truncated,
  };
  sendJson(ctx.res, 200, result);
}

/**
 * POST /exec/stream: SSE. `stdout`/`stderr` events carry a JSON string each (UTF-8 decoded without
 * splitting characters across events), then one `exit` event; every event has its `id:` in the command's log
 * and the answer names the command (`x-berth-command-id`), so a reader that lost the connection reads on
 * with `GET /commands/events`. No cap unless the request sets maxOutputBytes: a slow client slows the
 * command down (backpressure) instead of filling memory. The client going away ends the command.
 */
export async function handleCommandStream(ctx: RequestContext): Promise<void> {
  const p = await plan(ctx);
  const command = ctx.commands.start(
    p.argv,
    (onStdout, onStderr) => start(ctx, p, onStdout, onStderr),
    p.maxOutputBytes !== undefined ? { capBytes: p.maxOutputBytes } : {},
  );
  ctx.res.setHeader(COMMAND_ID_HEADER, command.id);
  await streamEvents(ctx, command, 0, { paceCommand: true });
}

/** POST /exec/binary: raw stdout bytes, the rest in headers (the command must end before headers go out). */
export async function handleBinaryCommand(ctx: RequestContext): Promise<void> {
  const p = await plan(ctx);
  const run = await runCaptured(
    ctx,
    p,
    p.maxOutputBytes ?? WORKSPACE_AGENT_LIMITS.maxOutputBytesLimit,
    WORKSPACE_AGENT_LIMITS.binaryStderrBytes,
  );
  if (!run) return;
  const { outcome, stdout, stderr } = run;
  const body = stdout.toBuffer();
  const h = COMMAND_BINARY_HEADERS;
  ctx.res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': body.length,
    [h.exitCode]: outcome.exitCode === null ? 'null' : String(outcome.exitCode),
    ...(outcome.signal !== null && { [h.signal]: outcome.signal }),
    [h.timedOut]: String(outcome.timedOut),
    [h.durationMs]: String(outcome.durationMs),
    [h.truncated]: String(stdout.truncated),
    [h.stderr]: stderr.toBuffer().toString('base64'),
  });
  ctx.res.end(body);
}
