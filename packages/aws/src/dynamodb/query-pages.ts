import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { encodeCursor, type StartKey } from './page-cursor.js';

/** Fewest items a query evaluates per round trip: filters drop items, so asking for only what is missing wastes trips. */
const MIN_EVALUATED_PER_QUERY = 50;

/**
 * Runs `input` page after page until `limit` items passed both the query's FilterExpression and `accept`, or
 * the index has no more. DynamoDB applies `Limit` before filtering and ends a page wherever it likes, so the
 * returned cursor is the key of the last item handed out when the page was cut short (`keyAttributes` name
 * the table and index key attributes), else DynamoDB's LastEvaluatedKey. Nothing is skipped or repeated
 * across pages; a page may be followed by an empty last page.
 */
export async function queryPages<T>(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
  opts: {
    limit: number;
    startKey?: StartKey;
    keyAttributes: readonly string[];
    /** Items DynamoDB returned, as the caller wants them (undefined: skip, e.g. a second check in code). */
    map: (item: Record<string, unknown>) => T | undefined;
  },
): Promise<{ items: T[]; nextCursor: string | null }> {
  const items: T[] = [];
  let startKey: StartKey | undefined = opts.startKey;
  for (;;) {
    const remaining = opts.limit - items.length;
    const page = await doc.send(
      new QueryCommand({
        ...input,
        Limit: Math.max(remaining, MIN_EVALUATED_PER_QUERY),
        ExclusiveStartKey: startKey,
      }),
    );
    const found = page.Items ?? [];
    for (let i = 0; i < found.length; i++) {
      const raw = found[i] as Record<string, unknown>;
      const item = opts.map(raw);
      if (item !== undefined) items.push(item);
      if (items.length === opts.limit) {
        const cutShort = i < found.length - 1;
        if (cutShort) return { items, nextCursor: encodeCursor(keyOf(raw, opts.keyAttributes)) };
        const last = page.LastEvaluatedKey as StartKey | undefined;
        return { items, nextCursor: last ? encodeCursor(last) : null };
      }
    }
    startKey = page.LastEvaluatedKey as StartKey | undefined;
    if (!startKey) return { items, nextCursor: null };
  }
}

function keyOf(item: Record<string, unknown>, attributes: readonly string[]): StartKey {
  const key: StartKey = {};
  for (const a of attributes) key[a] = String(item[a]);
  return key;
}
