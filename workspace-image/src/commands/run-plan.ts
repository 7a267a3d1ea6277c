import type { RequestContext } from '../context.js';
import { buildChildEnv } from './child-env.js';
import type { CommandPlan } from './command-request.js';
import { runProcess, type RunningProcess } from './run-process.js';

/**
 * Runs a parsed command request (command-request.ts) in the workspace: its environment built on the agent's
 * base one, its timeout, its stdin — closed after the request's `stdin`, or kept open for more input.
 */
export function runPlan(
  ctx: RequestContext,
  plan: CommandPlan,
  onStdout: (b: Buffer) => void,
  onStderr: (b: Buffer) => void,
  opts: { keepStdinOpen?: boolean } = {},
): RunningProcess {
  return runProcess(
    {
      argv: plan.argv,
      cwd: plan.cwd,
      env: buildChildEnv(ctx.config, plan.env),
      timeoutMs: plan.timeoutMs,
      ...(plan.stdin !== undefined && { stdin: plan.stdin }),
      ...(opts.keepStdinOpen && { keepStdinOpen: true }),
      onStdout,
      onStderr,
    },
    ctx.launch,
  );
}
