import type { Values } from './command.js';
import { UsageError } from './errors.js';

/** A string option, or undefined. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option (`--label a=1 --label b=2`). */
export function strings(values: Values, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((s): s is string => typeof s === 'string');
}

/** A positive integer option, or undefined; anything else is a usage error. */
export function int(values: Values, name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  return Number(v);
}

/** `K=V` pairs into an object (`--label`, `--env`). */
export function pairs(list: string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 1) throw new UsageError(`--${option} takes KEY=VALUE, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Exactly `n` positionals named by `names` (for the message). */
export function exactly(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) throw new UsageError(`missing ${names[positionals.length]}`);
  if (positionals.length > names.length)
    throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  return positionals;
}
