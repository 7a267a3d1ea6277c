import { isIP } from 'node:net';

/** Why an address is refused. `null` from {@link classifyAddress} means the address may be used. */
export type AddressBlockReason =
  | 'address_loopback'
  | 'address_private'
  | 'address_link_local'
  | 'address_metadata'
  | 'address_unspecified'
  | 'address_multicast'
  | 'address_reserved'
  | 'address_invalid';

/** Options for {@link classifyAddress}. */
export interface AddressGuardOptions {
  /** Test-only: let loopback (127/8, ::1) through. Never widens private, link-local or metadata ranges. */
  allowLoopback: boolean;
}

type Range4 = { base: number; bits: number; reason: AddressBlockReason };

const v4 = (text: string): number => {
  const parts = text.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
};

// Order matters: the first matching range gives the reason (IMDS before the rest of link-local).
const IPV4_BLOCKED: Range4[] = [
  { base: v4('169.254.169.254'), bits: 32, reason: 'address_metadata' },
  { base: v4('169.254.170.2'), bits: 32, reason: 'address_metadata' }, // ECS task metadata / credentials endpoint
  { base: v4('0.0.0.0'), bits: 8, reason: 'address_unspecified' },
  { base: v4('127.0.0.0'), bits: 8, reason: 'address_loopback' },
  { base: v4('10.0.0.0'), bits: 8, reason: 'address_private' },
  { base: v4('172.16.0.0'), bits: 12, reason: 'address_private' },
  { base: v4('192.168.0.0'), bits: 16, reason: 'address_private' },
  { base: v4('100.64.0.0'), bits: 10, reason: 'address_private' }, // CGNAT
  { base: v4('169.254.0.0'), bits: 16, reason: 'address_link_local' },
  { base: v4('192.0.0.0'), bits: 24, reason: 'address_reserved' }, // IETF protocol assignments
  { base: v4('198.18.0.0'), bits: 15, reason: 'address_reserved' }, // benchmarking
  { base: v4('224.0.0.0'), bits: 4, reason: 'address_multicast' },
  { base: v4('240.0.0.0'), bits: 4, reason: 'address_reserved' }, // includes 255.255.255.255
];

function classifyIPv4(value: number, options: AddressGuardOptions): AddressBlockReason | null {
  for (const range of IPV4_BLOCKED) {
    const mask = range.bits === 0 ? 0 : (0xffffffff << (32 - range.bits)) >>> 0;
    if ((value & mask) >>> 0 !== (range.base & mask) >>> 0) continue;
    if (range.reason === 'address_loopback' && options.allowLoopback) return null;
    return range.reason;
  }
  return null;
}

/** Expands an IPv6 literal (zone id stripped, dotted-quad tail allowed) into 16 bytes. */
export function ipv6Bytes(text: string): Uint8Array | null {
  const address = text.split('%')[0] ?? '';
  if (isIP(address) !== 6) return null;
  let head = address;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted?.[1]) {
    const n = v4(dotted[1]);
    tail.push(n >>> 16, n & 0xffff);
    head = address.slice(0, -dotted[1].length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left = '', right] = head.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const leftGroups = parse(left);
  const rightGroups = [...(right === undefined ? [] : parse(right)), ...tail];
  const groups =
    right === undefined
      ? [...leftGroups, ...tail]
      : [
          ...leftGroups,
          ...new Array<number>(8 - leftGroups.length - rightGroups.length).fill(0),
          ...rightGroups,
        ];
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

const prefixIs = (bytes: Uint8Array, prefix: number[], bits: number): boolean => {
  for (let bit = 0; bit < bits; bit += 8) {
    const take = Math.min(8, bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((prefix[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
};

const ipv4At = (bytes: Uint8Array, offset: number): number =>
  (((bytes[offset] ?? 0) << 24) |
    ((bytes[offset + 1] ?? 0) << 16) |
    ((bytes[offset + 2] ?? 0) << 8) |
    (bytes[offset + 3] ?? 0)) >>>
  0;

function classifyIPv6(bytes: Uint8Array, options: AddressGuardOptions): AddressBlockReason | null {
  const zero96 = prefixIs(bytes, [], 96);
  if (zero96) {
    const low = ipv4At(bytes, 12);
    if (low === 0) return 'address_unspecified'; // ::
    if (low === 1) return options.allowLoopback ? null : 'address_loopback'; // ::1
    return 'address_reserved'; // deprecated IPv4-compatible ::a.b.c.d
  }
  // Forms that carry an IPv4 address inside: judge them by that address.
  if (prefixIs(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96))
    return classifyIPv4(ipv4At(bytes, 12), options); // ::ffff:a.b.c.d
  if (prefixIs(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0], 96))
    return classifyIPv4(ipv4At(bytes, 12), options); // ::ffff:0:a.b.c.d (SIIT)
  if (prefixIs(bytes, [0, 0x64, 0xff, 0x9b], 96)) return classifyIPv4(ipv4At(bytes, 12), options) ?? null; // NAT64
  if (prefixIs(bytes, [0x20, 0x02], 16)) return classifyIPv4(ipv4At(bytes, 2), options); // 6to4
  if (prefixIs(bytes, [0xfd, 0x00, 0x0e, 0xc2], 32) && ipv4At(bytes, 12) === 0x254) return 'address_metadata'; // fd00:ec2::254 (IMDS over IPv6)
  if (prefixIs(bytes, [0xfc], 7)) return 'address_private'; // unique local
  if (prefixIs(bytes, [0xfe, 0x80], 10)) return 'address_link_local';
  if (prefixIs(bytes, [0xfe, 0xc0], 10)) return 'address_private'; // deprecated site-local
  if (prefixIs(bytes, [0xff], 8)) return 'address_multicast';
  if (prefixIs(bytes, [0x01, 0x00, 0, 0, 0, 0, 0, 0], 64)) return 'address_reserved'; // discard-only
  if (prefixIs(bytes, [0x20, 0x01, 0x0d, 0xb8], 32)) return 'address_reserved'; // documentation
  if (prefixIs(bytes, [0x20, 0x01, 0x00, 0x00], 32)) return 'address_reserved'; // Teredo (embeds an obfuscated IPv4)
  return null;
}

/**
 * Decides whether the proxy may open a connection to this IP address. Loopback, private, CGNAT,
 * link-local, cloud metadata, unspecified, multicast and reserved ranges are refused, also when
 * written as IPv4-mapped/translated IPv6. Returns the reason, or null when the address is fine.
 */
export function classifyAddress(address: string, options: AddressGuardOptions): AddressBlockReason | null {
  const family = isIP(address.split('%')[0] ?? '');
  if (family === 4) return classifyIPv4(v4(address), options);
  if (family === 6) {
    const bytes = ipv6Bytes(address);
    return bytes === null ? 'address_invalid' : classifyIPv6(bytes, options);
  }
  return 'address_invalid';
}
