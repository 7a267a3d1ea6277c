import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * True when the request carries the shared secret, as `Authorization: Bearer <secret>` or
 * `X-Admin-Secret: <secret>`. Compares SHA-256 digests with timingSafeEqual, so neither the content
 * nor the length of the secret leaks through timing.
 */
export function hasAdminSecret(headers: IncomingHttpHeaders, secret: string): boolean {
  const expected = digest(secret);
  const candidates: string[] = [];
  const auth = headers['authorization'];
  if (auth?.startsWith('Bearer ')) candidates.push(auth.slice('Bearer '.length));
  const header = headers['x-admin-secret'];
  if (typeof header === 'string') candidates.push(header);
  let ok = false;
  for (const candidate of candidates) ok = timingSafeEqual(digest(candidate), expected) || ok;
  return ok;
}
