import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8787';

export interface Config {
  url: string;
  /** Undefined when none was found: only the commands that need one fail. */
  key: string | undefined;
}

/**
 * Flag, then environment, then (key only) the file `npm start` saves its generated key in:
 * `$BERTH_STATE_DIR/api-key`, default `.berth/api-key` under the current directory (local-settings.ts).
 */
export function resolveConfig(
  flags: { url?: string | undefined; key?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Config {
  const url = flags.url || env.BERTH_URL || DEFAULT_URL;
  const key =
    flags.key || env.BERTH_API_KEY || keyFile(resolve(cwd, env.BERTH_STATE_DIR || '.berth', 'api-key'));
  return { url, key };
}

function keyFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function requireKey(config: Config): string {
  if (config.key) return config.key;
  throw new CliError(
    'no API key: set BERTH_API_KEY, pass --key, or run where `npm start` saved it (.berth/api-key)',
  );
}
