import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println, table } from '../output.js';

export const pool: Command = {
  name: ['pool'],
  usage: 'pool',
  summary: 'the warm pool per template',
  async run(ctx) {
    exactly(ctx.positionals, []);
    const report = await ctx.berth().pool();
    if (ctx.json) return printJson(ctx, report).then(() => 0);
    const rows = report.templates.map((t) => [t.template, `${t.target}`, `${t.warm}`, `${t.provisioning}`]);
    await println(ctx, table([['TEMPLATE', 'TARGET', 'WARM', 'PROVISIONING'], ...rows]));
    return 0;
  },
};
