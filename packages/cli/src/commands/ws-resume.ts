import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println } from '../output.js';

export const wsResume: Command = {
  name: ['ws', 'resume'],
  usage: 'ws resume <id>',
  summary: 'thaw a paused workspace',
  async run(ctx) {
    const [id] = exactly(ctx.positionals, ['<id>']);
    const info = await ctx.berth().workspaces.resume(id!);
    if (ctx.json) await printJson(ctx, info);
    else await println(ctx, `${info.id} ${info.status}`);
    return 0;
  },
};
