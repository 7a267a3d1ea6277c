import { splitHostPort } from '../policy/host-name.js';

/** Where a proxy request wants to go, parsed from the request line. */
export interface RequestTarget {
  host: string;
  port: number;
  /** Path and query exactly as received (never re-encoded: SigV4 signs these bytes). */
  path: string;
}

/**
 * Parses an absolute-form target (`http://host[:port]/path?q`). Returns null for anything else:
 * origin-form, `https://` (clients must use CONNECT for TLS), userinfo, bad hosts.
 */
export function parseAbsoluteTarget(url: string): RequestTarget | null {
  const match = /^http:\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (!match) return null;
  const authority = match[1] ?? '';
  if (authority.includes('@')) return null;
  const split = splitHostPort(authority);
  if (split === null) return null;
  let path = match[2] ?? '';
  if (!path.startsWith('/')) path = `/${path}`;
  return { host: split.host, port: split.port ?? 80, path };
}

/** Parses a CONNECT authority (`host:port`, port required). */
export function parseConnectTarget(authority: string): { host: string; port: number } | null {
  const split = splitHostPort(authority);
  if (split === null || split.port === null) return null;
  return { host: split.host, port: split.port };
}
