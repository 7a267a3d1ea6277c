import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { printJson, println } from '../output.js';

export const health: Command = {
  name: ['health'],
  usage: 'health',
  summary: "the service's health (no key needed); exits 1 when degraded",
  needsKey: false,
  async run(ctx) {
    exactly(ctx.positionals, []);
    const report = await ctx.berth().health();
    if (ctx.json) await printJson(ctx, report);
    else {
      const parts = Object.entries(report.components).map(([name, state]) => `${name} ${state}`);
      await println(ctx, `${report.status} (${parts.join(', ')})`);
    }
    return report.status === 'ok' ? 0 : 1;
  },
};
