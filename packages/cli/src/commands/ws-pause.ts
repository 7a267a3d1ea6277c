import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println } from '../output.js';

export const wsPause: Command = {
  name: ['ws', 'pause'],
  usage: 'ws pause <id>',
  summary: 'freeze every process of the workspace (memory kept)',
  async run(ctx) {
    const [id] = exactly(ctx.positionals, ['<id>']);
    const info = await ctx.berth().workspaces.pause(id!);
    if (ctx.json) await printJson(ctx, info);
    else await println(ctx, `${info.id} ${info.status}`);
    return 0;
  },
};
