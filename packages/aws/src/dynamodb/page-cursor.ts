import { invalidRequest } from '@berth/core';

/** A DynamoDB key (table key plus index key) as a query's ExclusiveStartKey / LastEvaluatedKey. */
export type StartKey = Record<string, string>;

/**
 * A key attribute value DynamoDB accepts: a string of at most 1 KiB (its limit for sort keys; partition keys
 * take 2 KiB). Every key Berth writes is far shorter, so a longer one is a forged cursor: 400, not a store error.
 */
const MAX_KEY_BYTES = 1024;
const isKeyValue = (v: unknown) =>
  typeof v === 'string' && v.length > 0 && Buffer.byteLength(v, 'utf8') <= MAX_KEY_BYTES;

/** The opaque cursor clients see: base64url of the key's JSON. */
export const encodeCursor = (key: StartKey): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/**
 * The key inside `cursor`, checked to have exactly `attributes` (all strings) and to lie in `partition`, so a
 * cursor can neither be malformed nor move a query into another tenant's partition.
 * Throws `invalid_request` otherwise.
 */
export function decodeCursor(
  cursor: string,
  attributes: readonly string[],
  partition: { attribute: string; value: string },
): StartKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidRequest('invalid cursor');
  }
  const ok =
    typeof key === 'object' &&
    key !== null &&
    !Array.isArray(key) &&
    Object.keys(key).length === attributes.length &&
    attributes.every((a) => isKeyValue((key as Record<string, unknown>)[a])) &&
    (key as StartKey)[partition.attribute] === partition.value;
  if (!ok) throw invalidRequest('invalid cursor');
  return key as StartKey;
}
