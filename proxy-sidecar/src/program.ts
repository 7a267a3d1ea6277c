import type { Logger } from '@aws-lambda-powertools/logger';
import { ProxyConfigError } from './env-settings.js';

/** One of the image's programs (sidecar, relay, gateway), as its entry point describes it. */
export interface Program<Config, Running extends { close(): Promise<void> }> {
  /** Prefix of what it writes to stderr before it has a logger (`proxy-relay`, `egress-gateway`...). */
  name: string;
  /** Reads its environment; a ProxyConfigError ends the process with status 2 and the variables at fault. */
  load(env: NodeJS.ProcessEnv): Config;
  logger(config: Config): Logger;
  /** Starts it and logs where it listens (nothing secret). */
  start(config: Config, logger: Logger): Promise<Running>;
}

/**
 * The lifecycle every program shares: configuration from the environment (exit 2 when it is bad, exit 1 when
 * the start fails), then runs until SIGTERM or SIGINT, when it closes what it holds and exits.
 */
export function runProgram<Config, Running extends { close(): Promise<void> }>(
  program: Program<Config, Running>,
): void {
  const fail = (error: unknown, status: number, what = '') => {
    process.stderr.write(`${program.name}: ${what}${(error as Error).message}\n`);
    process.exit(status);
  };
  let config: Config;
  try {
    config = program.load(process.env);
  } catch (error) {
    if (!(error instanceof ProxyConfigError)) throw error;
    return fail(error, 2);
  }
  const logger = program.logger(config);
  program.start(config, logger).then(
    (running) => {
      const stop = (signal: string) => {
        logger.info('stopping', { signal });
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    },
    (error: unknown) => fail(error, 1, 'failed to start: '),
  );
}
