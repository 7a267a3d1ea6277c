import { encodeSseEvent } from '@berth/protocol';
import type { RequestContext } from '../context.js';
import type { RegisteredCommand } from './command-registry.js';
import { SseWriter } from './sse.js';

/**
 * Writes the log from `after` on and follows it. Paced by the socket: a write the socket cannot take stops the
 * pump until it drains, and the pump then reads on from the log, so a slow reader costs no memory here (what
 * it falls too far behind on was dropped from the log, and it gets a `gap`). `paceCommand`: the reader owns
 * the command (`POST /exec/stream`), which is paused meanwhile, so a slow reader slows it and loses nothing.
 */
export async function streamEvents(
  ctx: RequestContext,
  command: RegisteredCommand,
  after: number,
  opts: { paceCommand?: boolean } = {},
) {
  const sse = new SseWriter(ctx.res);
  let last = after;
  await new Promise<void>((resolve) => {
    let waiting = false;
    const finish = () => {
      stop();
      resolve();
    };
    const pump = () => {
      if (waiting || ctx.res.destroyed) return;
      for (const e of command.log.readAfter(last).events) {
        last = e.id;
        const more = ctx.res.write(encodeSseEvent({ event: e.event, id: String(e.id), data: e.data }));
        if (e.event === 'exit') return finish();
        if (!more) {
          waiting = true;
          if (opts.paceCommand) command.process.pause();
          ctx.res.once('drain', () => {
            waiting = false;
            if (opts.paceCommand) command.process.resume();
            pump();
          });
          return;
        }
      }
    };
    const stop = command.log.follow(pump);
    ctx.res.on('close', finish);
    pump();
  });
  if (!ctx.res.destroyed) sse.end();
}
