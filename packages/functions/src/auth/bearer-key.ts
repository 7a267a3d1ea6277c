/** The key of an `Authorization: Bearer <key>` header value, if it is one. */
export function bearerKey(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}
