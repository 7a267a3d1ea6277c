import { Readable } from 'node:stream';

/**
 * The Node streams an answer carries: the answer itself, or the own fields of a plain object (an agent
 * answer's `body`, `stdout`). Never walks Buffers, arrays or class instances.
 */
export function streamsIn(value: unknown): Readable[] {
  if (value instanceof Readable) return [value];
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype)
    return [];
  return Object.values(value).filter((v): v is Readable => v instanceof Readable);
}
