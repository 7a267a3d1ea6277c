import { invalidRequest } from '../errors.js';

export type TarMemberType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface TarMember {
  name: string;
  type: TarMemberType;
  linkname: string;
}

const BLOCK = 512;

/**
 * Lists the members of a tar archive (ustar, GNU long names, PAX path/linkpath/size) from its headers,
 * so an archive can be vetted before `tar` touches the disk. Anything but files, directories and links
 * (devices, fifos, sparse or multi-volume members) is refused, as is anything malformed.
 */
export function listTarMembers(buf: Buffer): TarMember[] {
  const members: TarMember[] = [];
  let off = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) return members; // end-of-archive marker
    verifyChecksum(h);
    const typeflag = h[156] === 0 ? '0' : String.fromCharCode(h[156] as number);
    const size =
      typeflag === 'x' || typeflag === 'g'
        ? readNumber(h, 124, 12)
        : (paxSize(pax) ?? readNumber(h, 124, 12));
    const dataStart = off + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > buf.length) throw invalidRequest('tar archive is truncated');
    const data = buf.subarray(dataStart, dataEnd);
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    switch (typeflag) {
      case 'L':
        longName = cString(data);
        continue;
      case 'K':
        longLink = cString(data);
        continue;
      case 'x':
        pax = parsePax(data);
        continue;
      case 'g': {
        const global = parsePax(data);
        if ('path' in global || 'linkpath' in global) throw invalidRequest('tar global header sets a path');
        continue;
      }
    }
    const type = memberType(typeflag);
    const ustar = h.subarray(257, 263).toString('latin1') === 'ustar\0';
    const prefix = ustar ? cString(h.subarray(345, 500)) : '';
    const headerName = cString(h.subarray(0, 100));
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${headerName}` : headerName);
    const linkname = pax.linkpath ?? longLink ?? cString(h.subarray(157, 257));
    if (name === '') throw invalidRequest('tar member without a name');
    members.push({ name, type, linkname });
    longName = longLink = undefined;
    pax = {};
  }
  if (off !== buf.length || buf.length === 0)
    throw invalidRequest('not a tar archive (no end-of-archive marker)');
  return members;
}

function memberType(flag: string): TarMemberType {
  switch (flag) {
    case '0':
    case '7':
      return 'file';
    case '5':
      return 'dir';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      throw invalidRequest(
        `tar member type ${JSON.stringify(flag)} is not allowed (files, dirs and links only)`,
      );
  }
}

function verifyChecksum(h: Buffer): void {
  const stored = readNumber(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed)
    throw invalidRequest('not a tar archive (bad header checksum)');
}

/** Octal text, or GNU base-256 when the top bit of the first byte is set. */
function readNumber(h: Buffer, start: number, len: number): number {
  const field = h.subarray(start, start + len);
  if (((field[0] as number) & 0x80) !== 0) {
    if (field[0] === 0xff) throw invalidRequest('negative number in tar header');
    let n = (field[0] as number) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] as number);
    if (!Number.isSafeInteger(n)) throw invalidRequest('number too large in tar header');
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalidRequest('not a tar archive (bad number in header)');
  return parseInt(text, 8);
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

/** PAX records: `<len> <key>=<value>\n`, len counting the whole record in bytes. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break;
    const space = data.indexOf(0x20, off);
    if (space === -1) throw invalidRequest('bad PAX header');
    const len = Number(data.subarray(off, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || off + len > data.length) throw invalidRequest('bad PAX header');
    const record = data.subarray(space + 1, off + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq === -1) throw invalidRequest('bad PAX header');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    off += len;
  }
  return out;
}

function paxSize(pax: Record<string, string>): number | undefined {
  if (pax.size === undefined) return undefined;
  if (!/^\d+$/.test(pax.size)) throw invalidRequest('bad PAX size');
  return Number(pax.size);
}
