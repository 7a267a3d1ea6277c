import type { ParseArgsConfig } from 'node:util';
import type { Berth } from '@berth/sdk';
import type { Io } from './io.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command gets: its parsed arguments, the output, and a client made on first use. */
export interface Context {
  io: Io;
  /** `--json`: machine-readable output. */
  json: boolean;
  values: Values;
  /** Positional words after the command's name, then those after `--` unless `commandLine` is set. */
  positionals: string[];
  /** With `commandLine`: the words after `--`, untouched, when there was one. */
  afterDashDash: string[] | undefined;
  /** Throws when there is no API key, so commands that need none (health, local up) work without. */
  berth(): Berth;
}

export interface Command {
  /** `['ws', 'create']`, `['exec']`. */
  name: string[];
  /** Other names (`ws exec` for `exec`). */
  aliases?: string[][];
  /** After `berth `: `ws get <id>`. */
  usage: string;
  summary: string;
  options?: OptionSpecs;
  /** Everything after `--` is a command line of its own (exec), not more positionals. */
  commandLine?: boolean;
  /** False for calls Berth answers without a key (`/health`) and for what calls nothing. */
  needsKey?: boolean;
  run(ctx: Context): Promise<number>;
}
