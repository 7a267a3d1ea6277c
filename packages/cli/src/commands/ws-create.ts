import { exactly, int, pairs, str, strings } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println } from '../output.js';

export const wsCreate: Command = {
  name: ['ws', 'create'],
  usage: 'ws create <conversationId> [--template t] [--ttl seconds] [--label k=v ...] [--no-wait]',
  summary: "the conversation's workspace (the live one if it has one); prints its id",
  options: {
    template: { type: 'string' },
    ttl: { type: 'string' },
    label: { type: 'string', multiple: true },
    'no-wait': { type: 'boolean' },
  },
  async run(ctx) {
    const [conversationId] = exactly(ctx.positionals, ['<conversationId>']);
    const template = str(ctx.values, 'template');
    const ttlSeconds = int(ctx.values, 'ttl');
    const labels = strings(ctx.values, 'label');
    const ws = await ctx.berth().workspaces.create({
      conversationId: conversationId!,
      ...(template === undefined ? {} : { template }),
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      ...(labels.length ? { labels: pairs(labels, 'label') } : {}),
      // Waiting is the server's default: a printed id is then ready to use.
      ...(ctx.values['no-wait'] ? { wait: false } : {}),
    });
    if (ctx.json) await printJson(ctx, ws.info);
    else await println(ctx, ws.id);
    return 0;
  },
};
