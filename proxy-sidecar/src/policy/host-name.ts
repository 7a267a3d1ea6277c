import { isIP } from 'node:net';
import { isDnsName } from '@berth/protocol';

/**
 * Lower-cases a host, strips one trailing dot and IPv6 brackets, and checks that what is left is a
 * DNS name (the allowlist grammar's, @berth/protocol) or an IP literal. Returns null for anything else (spaces, userinfo, empty labels...).
 */
export function normalizeHost(raw: string): string | null {
  let host = raw.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    return isIP(host) === 6 ? host : null;
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (isIP(host) !== 0) return host;
  return isDnsName(host) ? host : null;
}

/** Splits `host:port` / `[v6]:port` (port optional). Returns null when malformed. */
export function splitHostPort(authority: string): { host: string; port: number | null } | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!match) return null;
  const host = normalizeHost(match[1] ?? '');
  if (host === null) return null;
  if (match[2] === undefined) return { host, port: null };
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return null;
  return { host, port };
}
