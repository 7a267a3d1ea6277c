import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';

export const localUp: Command = {
  name: ['local', 'up'],
  usage: 'local up',
  summary: 'run Berth on this machine (`npm start` in a checkout of the repository)',
  needsKey: false,
  async run(ctx) {
    exactly(ctx.positionals, []);
    const root = repoRoot(ctx.io.cwd);
    if (!root)
      throw new CliError(
        'local up works in a checkout of Berth: clone the repository, then run `npm ci && npm start` in it',
      );
    await ctx.io.stderr.write(`berth: running \`npm start\` in ${root}\n`);
    const child = spawn('npm', ['start'], { cwd: root, stdio: 'inherit', env: { ...ctx.io.env } });
    // Ctrl-C reaches npm too (same terminal): let it shut Berth down, and report how it ended.
    const off = ctx.io.onInterrupt(() => {});
    try {
      return await new Promise<number>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
      });
    } finally {
      off();
    }
  },
};

/** The nearest directory upwards whose package.json is the `berth` monorepo's. */
function repoRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && isBerth(file)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function isBerth(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'berth';
  } catch {
    return false;
  }
}
