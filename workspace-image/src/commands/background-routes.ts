import type { CommandEventsPage } from '@berth/protocol';
import { SSE_MEDIA_TYPE } from '@berth/protocol';
import type { RequestContext } from '../context.js';
import { AgentHttpError, agentInvalidRequest } from '../errors.js';
import { readBody, readJsonObject, sendJson, sendNoContent } from '../http-io.js';
import { parseCommandRequest } from './command-request.js';
import { statusOf, type RegisteredCommand } from './command-registry.js';
import { runPlan } from './run-plan.js';
import { streamEvents } from './command-event-stream.js';

/**
 * Commands that outlive their connection (issue 12): started in the background, listed, their numbered events
 * read again from any point (replayed from the command's buffer, then followed live until `exit`), killed.
 * The agent's own API addresses a command by `?id=`; the control plane maps its public paths onto these.
 */

/** POST /commands: starts the command and answers at once, 202 with its status (`running`). */
export async function handleStartCommand(ctx: RequestContext): Promise<void> {
  const plan = await parseCommandRequest(await readJsonObject(ctx.req), ctx.ws);
  // Its stdin stays open for POST /commands/stdin (`stdin` in the body is its first input).
  const command = ctx.commands.start(plan.argv, (onStdout, onStderr) =>
    runPlan(ctx, plan, onStdout, onStderr, { keepStdinOpen: true }),
  );
  sendJson(ctx.res, 202, statusOf(command));
}

/** GET /commands: every command kept (running and recently ended); with `?id=` that one's status. */
export async function handleListCommands(ctx: RequestContext): Promise<void> {
  if (ctx.url.searchParams.has('id')) return sendJson(ctx.res, 200, statusOf(commandOf(ctx)));
  sendJson(ctx.res, 200, { commands: ctx.commands.list() });
}

/**
 * GET /commands/events?id=[&after=n]: the command's events after `n` (SSE: also `Last-Event-ID`, which wins).
 * As an event stream: what is kept is replayed, a `gap` first if some were dropped, then new events follow
 * live and the stream ends after `exit`. Without SSE: `{events, next}` of what is there now.
 */
export async function handleCommandEvents(ctx: RequestContext): Promise<void> {
  const command = commandOf(ctx);
  const lastEventId = ctx.req.headers['last-event-id'];
  const after = cursor(typeof lastEventId === 'string' ? lastEventId : ctx.url.searchParams.get('after'));
  if (!(ctx.req.headers.accept ?? '').includes(SSE_MEDIA_TYPE)) {
    const page: CommandEventsPage = command.log.readAfter(after);
    return sendJson(ctx.res, 200, page);
  }
  await streamEvents(ctx, command, after);
}

/**
 * POST /commands/stdin?id=[&eof=1]: the body's bytes (raw, any type) go to the command's stdin; `eof=1` closes
 * it afterwards (the command reads EOF). 204; a command that has ended takes no input (400).
 */
export async function handleCommandStdin(ctx: RequestContext): Promise<void> {
  const command = commandOf(ctx);
  const body = await readBody(ctx.req);
  if (command.outcome) throw agentInvalidRequest(`command ${command.id} has ended; it takes no input`);
  if (body.length > 0) command.process.write(body);
  if (ctx.url.searchParams.get('eof') === '1') command.process.endInput();
  sendNoContent(ctx.res);
}

/** POST /commands/kill?id=: ends the command's whole process group (SIGKILL); answers its status. */
export async function handleKillCommand(ctx: RequestContext): Promise<void> {
  const command = commandOf(ctx);
  if (!command.outcome) {
    command.process.kill();
    await command.ended;
  }
  sendJson(ctx.res, 200, statusOf(command));
}

function commandOf(ctx: RequestContext): RegisteredCommand {
  const id = ctx.url.searchParams.get('id');
  if (!id) throw agentInvalidRequest('id: the command id is required');
  const command = ctx.commands.get(id);
  if (!command) throw new AgentHttpError('not_found', `no command ${id} (unknown, or ended long ago)`);
  return command;
}

function cursor(value: string | null): number {
  if (value === null || value === '') return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw agentInvalidRequest('after: must be an event id (0 or more)');
  return n;
}
