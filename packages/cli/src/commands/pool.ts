import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println, table } from '../output.js';

const HEADER = ['TEMPLATE', 'TARGET', 'WARM', 'PROVISIONING', 'CLAIMS', 'MISSES'];

export const pool: Command = {
  name: ['pool'],
  usage: 'pool',
  summary: 'the warm pool per template, and the recent creates it served (claims) or could not (misses)',
  async run(ctx) {
    exactly(ctx.positionals, []);
    const report = await ctx.berth().pool();
    if (ctx.json) return printJson(ctx, report).then(() => 0);
    const rows = report.templates.map((t) =>
      [t.template, t.target, t.warm, t.provisioning, t.claims, t.misses].map(String),
    );
    await println(ctx, table([HEADER, ...rows]));
    return 0;
  },
};
