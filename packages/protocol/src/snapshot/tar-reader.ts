import { PassThroughTap } from './pass-through-tap.js';

/** What a member is; `other` is a fifo or device node (a header only, no data). */
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** One archive member, extension headers (GNU long names, PAX) already applied. */
export interface TarEntry {
  /** The name as stored in the archive (`./a/b`, `dir/`). */
  name: string;
  type: TarEntryType;
  /** The raw typeflag (`0`, `5`, `2`, ...). */
  typeflag: string;
  /** Bytes of data that follow the header. */
  size: number;
  /** Target of a symlink or hard link; '' otherwise. */
  linkname: string;
  mode: number;
}

/** The archive is malformed or uses a feature this reader refuses (sparse, multi-volume, ...). */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

export interface TarHandlers {
  /** A member's header; its data (if any) follows through `data`, then `entryEnd`. */
  entry?(e: TarEntry): void;
  data?(chunk: Buffer, e: TarEntry): void;
  entryEnd?(e: TarEntry): void;
}

export interface TarParserOptions {
  /** Cap on one extension header's data (a GNU long name or a PAX record set). Default 1 MiB. */
  maxExtensionBytes?: number;
}

const BLOCK = 512;
const EXTENSIONS = new Set(['L', 'K', 'x', 'g']);

/**
 * Push parser for tar streams (ustar, GNU long names/links `L`/`K`, PAX `x`/`g` path/linkpath/size):
 * `write` chunks as they arrive, members are reported through the handlers as their bytes flow. Memory is
 * bounded: one 512-byte header plus at most `maxExtensionBytes` of an extension header. Only what GNU tar
 * reads the same way is accepted: a directory, link or special file declaring data is refused, as are
 * sparse, multi-volume and other GNU-specific members.
 */
export class TarParser {
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private phase: 'header' | 'data' | 'padding' | 'end' = 'header';
  private remaining = 0;
  private padding = 0;
  private current: TarEntry | undefined;
  private ext: { flag: string; chunks: Buffer[]; size: number } | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax: Record<string, string> = {};
  private readonly maxExt: number;
  /**
   * Bytes parsed so far; inside a handler, the position just past what it reports (past the header, for
   * `entry`), so a caller can hold a member's header back until it has vetted it. Bytes after the
   * end-of-archive marker are not counted.
   */
  offset = 0;
  /** Inside `entry`: where the member's headers began (its extension headers included). */
  entryStart = 0;
  /** Where the headers of a member not reported yet begin; undefined between a member's header and its end. */
  private sequenceStart: number | undefined;

  constructor(
    private readonly handlers: TarHandlers = {},
    opts: TarParserOptions = {},
  ) {
    this.maxExt = opts.maxExtensionBytes ?? 1024 * 1024;
  }

  /**
   * Bytes from here on belong to headers of a member not reported yet (so a caller holding members back
   * until vetted must hold these too); `offset` when there are none.
   */
  get unreported(): number {
    return this.sequenceStart ?? this.offset;
  }

  /** True once the end-of-archive marker was read; later bytes (record padding) are ignored. */
  get done(): boolean {
    return this.phase === 'end';
  }

  write(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && this.phase !== 'end') {
      if (this.phase === 'header') {
        this.sequenceStart ??= this.offset;
        const n = Math.min(BLOCK - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        this.offset += n;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeader();
        }
      } else if (this.phase === 'data') {
        const n = Math.min(this.remaining, chunk.length - off);
        this.remaining -= n;
        off += n;
        this.offset += n;
        this.onData(chunk.subarray(off - n, off));
        if (this.remaining === 0) this.endData();
      } else {
        const n = Math.min(this.padding, chunk.length - off);
        this.padding -= n;
        off += n;
        this.offset += n;
        if (this.padding === 0) this.phase = 'header';
      }
    }
  }

  /** The stream ended: throws unless the archive was complete. */
  end(): void {
    if (this.phase !== 'end') {
      throw new TarFormatError(
        this.offset === 0 && this.headerFill === 0
          ? 'empty stream: not a tar archive'
          : 'tar archive is truncated',
      );
    }
  }

  private onHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      // GNU tar stops at the first zero block too (without --ignore-zeros).
      if (this.ext || this.longName !== undefined || this.longLink !== undefined)
        throw new TarFormatError('tar archive ends after an extension header');
      this.phase = 'end';
      this.sequenceStart = undefined;
      return;
    }
    verifyChecksum(h);
    const flag = h[156] === 0 ? '0' : String.fromCharCode(h[156] as number);
    const headerSize = readNumber(h, 124, 12);
    if (EXTENSIONS.has(flag)) {
      if (headerSize > this.maxExt)
        throw new TarFormatError(`tar extension header of ${headerSize} bytes exceeds ${this.maxExt}`);
      this.ext = { flag, chunks: [], size: 0 };
      this.startData(headerSize);
      return;
    }
    const type = memberType(flag);
    const size = paxSize(this.pax) ?? headerSize;
    if (type !== 'file' && size !== 0)
      throw new TarFormatError(`tar ${type} member declares ${size} bytes of data`);
    const ustar = h.subarray(257, 263).toString('latin1') === 'ustar\0';
    const prefix = ustar ? cString(h.subarray(345, 500)) : '';
    const headerName = cString(h.subarray(0, 100));
    const name = this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${headerName}` : headerName);
    const linkname = this.pax.linkpath ?? this.longLink ?? cString(h.subarray(157, 257));
    if (name === '') throw new TarFormatError('tar member without a name');
    this.longName = this.longLink = undefined;
    this.pax = {};
    this.current = { name, type, typeflag: flag, size, linkname, mode: readNumber(h, 100, 8) };
    this.entryStart = this.sequenceStart ?? this.offset - BLOCK;
    this.sequenceStart = undefined;
    this.handlers.entry?.(this.current);
    this.startData(size);
  }

  private startData(size: number): void {
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.endData();
    else this.phase = 'data';
  }

  private onData(chunk: Buffer): void {
    if (this.ext) {
      this.ext.chunks.push(Buffer.from(chunk)); // copied: the caller may reuse its buffer
      this.ext.size += chunk.length;
    } else if (this.current) {
      this.handlers.data?.(chunk, this.current);
    }
  }

  private endData(): void {
    this.phase = this.padding > 0 ? 'padding' : 'header';
    if (this.ext) {
      const { flag, chunks } = this.ext;
      this.ext = undefined;
      this.applyExtension(flag, Buffer.concat(chunks));
    } else if (this.current) {
      const e = this.current;
      this.current = undefined;
      this.handlers.entryEnd?.(e);
    }
  }

  private applyExtension(flag: string, data: Buffer): void {
    switch (flag) {
      case 'L':
        this.longName = cString(data);
        return;
      case 'K':
        this.longLink = cString(data);
        return;
      case 'x':
        this.pax = parsePax(data);
        return;
      default: {
        const global = parsePax(data);
        if ('path' in global || 'linkpath' in global || 'size' in global)
          throw new TarFormatError('tar global header sets a path or size');
      }
    }
  }
}

/**
 * A pass-through stream that parses the tar flowing through it: bytes leave unchanged, and the stream
 * fails (TarFormatError) as soon as the archive is malformed or when it ends incomplete.
 */
export class TarReader extends PassThroughTap {
  readonly parser: TarParser;

  constructor(handlers: TarHandlers = {}, opts: TarParserOptions = {}) {
    super();
    this.parser = new TarParser(handlers, opts);
  }

  protected see(chunk: Buffer): void {
    this.parser.write(chunk);
  }

  protected ended(): void {
    this.parser.end();
  }
}

function memberType(flag: string): TarEntryType {
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
    case '3':
    case '4':
    case '6':
      return 'other';
    default:
      throw new TarFormatError(`tar member type ${JSON.stringify(flag)} is not supported`);
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
    throw new TarFormatError('not a tar archive (bad header checksum)');
}

/** Octal text, or GNU base-256 when the top bit of the first byte is set. */
function readNumber(h: Buffer, start: number, len: number): number {
  const field = h.subarray(start, start + len);
  if (((field[0] as number) & 0x80) !== 0) {
    if (field[0] === 0xff) throw new TarFormatError('negative number in tar header');
    let n = (field[0] as number) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] as number);
    if (!Number.isSafeInteger(n)) throw new TarFormatError('number too large in tar header');
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError('not a tar archive (bad number in header)');
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
    if (space === -1) throw new TarFormatError('bad PAX header');
    const len = Number(data.subarray(off, space).toString('latin1'));
    if (
      !Number.isInteger(len) ||
      len <= space - off ||
      off + len > data.length ||
      data[off + len - 1] !== 0x0a
    )
      throw new TarFormatError('bad PAX header');
    const record = data.subarray(space + 1, off + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq === -1) throw new TarFormatError('bad PAX header');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    off += len;
  }
  return out;
}

function paxSize(pax: Record<string, string>): number | undefined {
  if (pax.size === undefined) return undefined;
  const n = Number(pax.size);
  if (!/^\d+$/.test(pax.size) || !Number.isSafeInteger(n)) throw new TarFormatError('bad PAX size');
  return n;
}
