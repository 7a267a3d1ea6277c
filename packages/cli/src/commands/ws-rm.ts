import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println } from '../output.js';

export const wsRm: Command = {
  name: ['ws', 'rm'],
  aliases: [['ws', 'delete']],
  usage: 'ws rm <id>',
  summary: 'save the files, stop the container (idempotent)',
  async run(ctx) {
    const [id] = exactly(ctx.positionals, ['<id>']);
    const info = await ctx.berth().workspaces.delete(id!);
    if (ctx.json) await printJson(ctx, info);
    else await println(ctx, `${info.id} ${info.status}`);
    return 0;
  },
};
