import { exactly, int } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println, shortTime } from '../output.js';

export const wsKeepalive: Command = {
  name: ['ws', 'keepalive'],
  usage: 'ws keepalive <id> [--ttl seconds]',
  summary: "extend the lease from now (default: the workspace's lease length); prints the new expiry",
  options: { ttl: { type: 'string' } },
  async run(ctx) {
    const [id] = exactly(ctx.positionals, ['<id>']);
    const ttl = int(ctx.values, 'ttl');
    const info = await ctx.berth().workspaces.keepalive(id!, ttl);
    if (ctx.json) await printJson(ctx, info);
    else await println(ctx, `${info.id} expires ${shortTime(info.expiresAt)}`);
    return 0;
  },
};
