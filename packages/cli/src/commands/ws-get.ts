import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { printWorkspace } from '../output.js';

export const wsGet: Command = {
  name: ['ws', 'get'],
  usage: 'ws get <id>',
  summary: "a workspace's state",
  async run(ctx) {
    const [id] = exactly(ctx.positionals, ['<id>']);
    const ws = await ctx.berth().workspaces.get(id!);
    await printWorkspace(ctx, ws.info);
    return 0;
  },
};
