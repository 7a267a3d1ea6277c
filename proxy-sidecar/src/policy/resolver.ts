import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Turns a host name into the IP addresses to check and connect to. Rejects when the name does not resolve. */
export type Resolver = (host: string) => Promise<string[]>;

/** The system resolver (getaddrinfo), every address it returns. */
export const systemResolver: Resolver = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

/**
 * Test-only resolver from a fixed table. It replaces DNS entirely: a name missing from the table
 * fails to resolve, so a test can never reach a real address by accident.
 */
export function staticResolver(table: Readonly<Record<string, readonly string[]>>): Resolver {
  const entries = new Map(Object.entries(table).map(([name, ips]) => [name.toLowerCase(), [...ips]]));
  return async (host) => {
    const ips = entries.get(host.toLowerCase());
    if (!ips || ips.length === 0) {
      throw Object.assign(new Error(`test resolver has no entry for ${host}`), { code: 'ENOTFOUND' });
    }
    return [...ips];
  };
}

/** Parses `PROXY_TEST_HOSTS`: `name=ip,name2=ip|ip`. Throws with a message naming the bad item. */
export function parseTestHosts(text: string): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    const [name, ips, extra] = item.split('=');
    const addresses = (ips ?? '').split('|').map((ip) => ip.trim());
    if (!name || extra !== undefined || addresses.some((ip) => isIP(ip) === 0)) {
      throw new Error(`"${item}" is not name=ip[|ip...]`);
    }
    table[name.trim().toLowerCase()] = addresses;
  }
  return table;
}

/** IPv4 first: containers and VPCs often have no IPv6 route, and every address was checked anyway. */
export function preferIPv4(addresses: readonly string[]): string[] {
  return [...addresses].sort((a, b) => isIP(a) - isIP(b));
}
