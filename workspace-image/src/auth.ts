import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks an `Authorization: Bearer <token>` header in constant time. Both sides are hashed first so the
 * comparison does not leak the token's length either.
 */
export function makeAuthCheck(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    if (!header) return false;
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m?.[1]) return false;
    const given = createHash('sha256').update(m[1]).digest();
    return timingSafeEqual(given, expected);
  };
}
