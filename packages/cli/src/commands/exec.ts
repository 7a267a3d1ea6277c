import { constants } from 'node:os';
import type { CommandExit } from '@berth/sdk';
import { int, pairs, str, strings } from '../args.js';
import type { Command, Context } from '../command.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { interruptible } from '../interrupt.js';

/** `timeout(1)`'s convention. */
const TIMED_OUT = 124;

export const exec: Command = {
  name: ['exec'],
  aliases: [['ws', 'exec']],
  usage: 'exec <id> [--cwd d] [--env K=V ...] [--timeout ms] [--no-stdin] -- <cmd> [args...]',
  summary: "run a command in the workspace, output live; exits with the command's exit code",
  options: {
    cwd: { type: 'string' },
    env: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    'no-stdin': { type: 'boolean' },
  },
  commandLine: true,
  async run(ctx) {
    const [id, ...rest] = ctx.positionals;
    // Without `--`, words after the id are the command (`berth exec ws_1 ls`); options then stay ours.
    const cmd = ctx.afterDashDash ?? rest;
    if (!id) throw new UsageError('missing <id>');
    if (ctx.afterDashDash && rest.length) throw new UsageError(`unexpected argument "${rest[0]}" before --`);
    if (cmd.length === 0) throw new UsageError('missing <cmd>');
    const cwd = str(ctx.values, 'cwd');
    const timeoutMs = int(ctx.values, 'timeout');
    const env = pairs(strings(ctx.values, 'env'), 'env');
    // Piped input goes along whole: the streamed exec takes `stdin` like the JSON one (API.md exec).
    const stdin = ctx.values['no-stdin'] ? undefined : await ctx.io.readStdin();

    // By id, with no lookup first: an unknown workspace is the exec's own 404.
    const ws = ctx.berth().workspaces.handle(id);
    return interruptible(ctx.io, async (signal) => {
      const events = ws.commands.stream(cmd, {
        ...(cwd === undefined ? {} : { cwd }),
        ...(Object.keys(env).length ? { env } : {}),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(stdin ? { stdin } : {}),
        signal,
      });
      for await (const e of events) {
        if (ctx.json) await printJson(ctx, e);
        else if (e.event === 'stdout') await ctx.io.stdout.write(e.data);
        else if (e.event === 'stderr') await ctx.io.stderr.write(e.data);
        if (e.event === 'exit') return exitStatus(ctx, e.data);
      }
      return 1; // not reached: the stream throws when it ends without `exit`
    });
  },
};

/** The command's exit code; a shell's codes when it has none (timeout 124, a signal 128+n). */
async function exitStatus(ctx: Context, exit: CommandExit): Promise<number> {
  if (exit.exitCode !== null && !exit.timedOut) return exit.exitCode;
  if (exit.timedOut) {
    if (!ctx.json) await ctx.io.stderr.write(`berth: the command timed out after ${exit.durationMs} ms\n`);
    return TIMED_OUT;
  }
  const signal = exit.signal ?? 'SIGKILL';
  if (!ctx.json) await ctx.io.stderr.write(`berth: the command was killed by ${signal}\n`);
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (number ?? constants.signals.SIGKILL);
}
