import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Stats } from 'node:fs';
import { mkdir, readlink, realpath } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { type Manifest } from '@berth/protocol';
import { ManifestBuilder, TarFormatError, TarParser, type TarEntry } from '@berth/protocol/snapshot-stream';
import { join } from 'node:path';
import { AgentHttpError, agentInvalidPath, agentInvalidRequest } from '../errors.js';
import { toolEnv } from '../commands/child-env.js';
import { isInside, lstatOrNull, resolveEntry, type WorkspaceRoot } from './safe-path.js';

const MAX_SYMLINK_HOPS = 40;

/** A tar member as the vetting sees it. */
export type TarMember = Pick<TarEntry, 'name' | 'type' | 'linkname'>;

/**
 * Refuses an archive that would write outside the workspace when extracted into `targetParts`, member by
 * member as the archive streams in (`vet` each before tar sees it, `finish` at the end): absolute or `..`
 * member names, and any member, link target or hard link whose path leaves the root once resolved the way
 * the kernel will: through the archive's own symlinks (members are replayed in order, as tar extracts them)
 * and through symlinks already on disk. Symlinks may point anywhere inside the workspace, `../` included
 * (node_modules/.bin does that). Where tar's behaviour could go either way (it may keep or replace a symlink
 * with a directory of the same name), the link is assumed to stay. Fifos and devices are not extracted.
 */
export class ArchiveVetter {
  // Symlinks the archive creates, keyed by where they land (root-relative, resolved parent).
  private readonly links = new Map<string, string>();
  private readonly resolver: VirtualResolver;
  private readonly created: { where: string; dir: string[]; linkname: string }[] = [];

  constructor(
    ws: WorkspaceRoot,
    private readonly targetParts: string[],
  ) {
    this.resolver = new VirtualResolver(ws, this.links);
  }

  async vet(member: TarMember): Promise<void> {
    const { targetParts, resolver, links } = this;
    const where = JSON.stringify(member.name);
    const parts = [...targetParts, ...memberParts(member.name, 'member name')];
    if (parts.length === targetParts.length) {
      if (member.type !== 'dir')
        throw agentInvalidRequest(`tar member ${where} would replace the target directory`);
      return;
    }
    const dir = await resolver.resolve(parts.slice(0, -1), `tar member ${where}`);
    const location = [...dir, parts[parts.length - 1] as string].join('/');
    if (member.type === 'other') return; // dropped from the stream (feedVetted): it lands nowhere
    if (member.type === 'symlink') {
      if (member.linkname === '') throw agentInvalidRequest(`tar symlink ${where} has no target`);
      await resolver.resolveFrom(dir, member.linkname, `tar symlink ${where}`);
      links.set(location, member.linkname);
      this.created.push({ where, dir, linkname: member.linkname });
      return;
    }
    await resolver.resolve(location.split('/'), `tar member ${where}`);
    if (member.type === 'hardlink') {
      const target = [...targetParts, ...memberParts(member.linkname, 'hard link target')];
      await resolver.resolve(target, `tar hard link ${where}`);
    }
    if (member.type !== 'dir') links.delete(location); // tar replaces a link with the file
  }

  /** Link targets are followed when used, so they must stay inside with every link of the archive in place. */
  async finish(): Promise<void> {
    for (const link of this.created)
      await this.resolver.resolveFrom(link.dir, link.linkname, `tar symlink ${link.where}`);
  }
}

/** Vets a whole list of members (see ArchiveVetter). */
export async function vetArchive(
  ws: WorkspaceRoot,
  targetParts: string[],
  members: TarMember[],
): Promise<void> {
  const vetter = new ArchiveVetter(ws, targetParts);
  for (const member of members) await vetter.vet(member);
  await vetter.finish();
}

/** Splits a member path; absolute names and `..` are refused outright, whatever they would resolve to. */
function memberParts(name: string, what: string): string[] {
  if (name.startsWith('/')) throw agentInvalidRequest(`tar ${what} ${JSON.stringify(name)} is absolute`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw agentInvalidRequest(`tar ${what} ${JSON.stringify(name)} contains ".."`);
  return parts;
}

/** Resolves root-relative paths as the file system will see them after extraction, without touching it. */
class VirtualResolver {
  private readonly stats = new Map<string, Stats | null>();
  constructor(
    private readonly ws: WorkspaceRoot,
    private readonly links: Map<string, string>,
  ) {}

  resolve(parts: string[], what: string): Promise<string[]> {
    return this.walk([], [...parts], what);
  }

  /** A symlink's target, relative to the directory the link sits in, or absolute. */
  resolveFrom(dirParts: string[], target: string, what: string): Promise<string[]> {
    if (target.startsWith('/')) return this.walk([], this.absoluteToParts(target, what), what);
    return this.walk([], [...dirParts, ...target.split('/')], what);
  }

  private absoluteToParts(target: string, what: string): string[] {
    const base = [this.ws.root, this.ws.realRoot].find((r) => target === r || target.startsWith(`${r}/`));
    if (base === undefined) throw agentInvalidRequest(`${what} points outside the workspace`);
    return target.slice(base.length).split('/');
  }

  private async walk(cur: string[], queue: string[], what: string): Promise<string[]> {
    let hops = 0;
    while (queue.length > 0) {
      const c = queue.shift() as string;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (cur.length === 0) throw agentInvalidRequest(`${what} points outside the workspace`);
        cur.pop();
        continue;
      }
      const candidate = [...cur, c];
      const key = candidate.join('/');
      const target = this.links.get(key) ?? (await this.diskLink(key));
      if (target === undefined) {
        cur = candidate;
        continue;
      }
      if (++hops > MAX_SYMLINK_HOPS) throw agentInvalidRequest(`${what}: too many levels of symlinks`);
      if (target.startsWith('/')) {
        cur = [];
        queue.unshift(...this.absoluteToParts(target, what));
      } else {
        queue.unshift(...target.split('/'));
      }
    }
    return cur;
  }

  /** An existing symlink on disk at this root-relative path (its components before it are link-free). */
  private async diskLink(key: string): Promise<string | undefined> {
    const abs = join(this.ws.realRoot, key);
    let st = this.stats.get(key);
    if (st === undefined) {
      st = await lstatOrNull(abs);
      this.stats.set(key, st);
    }
    return st?.isSymbolicLink() ? readlink(abs) : undefined;
  }
}

/** Checks a directory path for extraction: missing (to be created), a directory, or a link to one inside. */
async function checkExtractTarget(ws: WorkspaceRoot, path: string) {
  const entry = await resolveEntry(ws, path);
  if (entry.lstat?.isSymbolicLink()) {
    const real = await realpath(entry.abs).catch(() => null);
    if (real === null || !isInside(ws, real))
      throw agentInvalidPath(`${entry.rel} is a symlink leading outside`);
  } else if (entry.lstat && !entry.lstat.isDirectory()) {
    throw agentInvalidPath(`${entry.rel} is not a directory`);
  }
  return entry;
}

/**
 * PUT /files/archive: streams the request into GNU tar (which refuses `..` and absolute names again itself),
 * vetting each member as its header arrives: a member's header reaches tar only once vetted, so the first bad
 * member stops the extraction (400); members before it stay extracted. No size limit of its own: the
 * workspace's disk quota bounds what tar can write (a full disk is a tar failure, 400).
 */
export async function extractArchive(ws: WorkspaceRoot, path: string, body: Readable): Promise<void> {
  const target = await checkExtractTarget(ws, path);
  const vetter = new ArchiveVetter(ws, target.parts);
  await mkdir(target.abs, { recursive: true });
  // Re-check after mkdir: the directories may have been created or replaced meanwhile.
  const dir = await realpath(target.abs);
  if (!isInside(ws, dir)) throw agentInvalidPath(`${target.rel} leads outside the workspace`);
  const child = spawn('tar', ['-C', dir, '-xf', '-', '--no-same-owner', '--no-same-permissions'], {
    env: toolEnv(),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < 4096) stderr += b.toString('utf8');
  });
  child.stdin.on('error', () => {
    // EPIPE: tar stopped reading (bad archive, full disk); its exit status says why.
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  try {
    await feedVetted(body, vetter, child.stdin, exited);
    await vetter.finish();
  } catch (e) {
    child.kill('SIGKILL');
    await exited.catch(() => null);
    if (e instanceof TarFormatError) throw agentInvalidRequest(e.message);
    throw e;
  }
  const code = await exited;
  if (code === 0) return;
  const why = `tar could not extract the archive: ${stderr.trim().slice(0, 1000)}`;
  throw /No space left|Disk quota exceeded/.test(stderr)
    ? new AgentHttpError('no_space', why)
    : agentInvalidRequest(why);
}

/** Past the end-of-archive marker, at most this much record padding is passed on to tar. */
const MAX_TRAILER_BYTES = 20 * 1024;

/**
 * Copies `body` into tar's stdin, holding each member's headers (extension headers included) until the
 * member is vetted. Fifos and device nodes are dropped from the stream (a workspace may hold them; the
 * agent, not root, could not recreate devices, and a snapshot must not fail over them).
 */
async function feedVetted(body: Readable, vetter: ArchiveVetter, stdin: Writable, exited: Promise<unknown>) {
  const pending: { member: TarEntry; start: number; end: number }[] = [];
  const parser = new TarParser({
    entry: (member) => pending.push({ member, start: parser.entryStart, end: parser.offset }),
  });
  const write = async (bytes: Buffer) => {
    if (bytes.length === 0 || stdin.write(bytes)) return;
    // tar exiting early (it failed) must not leave us waiting for a drain that never comes.
    await Promise.race([once(stdin, 'drain'), exited]);
  };
  // Bytes of headers not vetted yet (bounded by the parser's extension header cap), from offset `heldAt`.
  let held = Buffer.alloc(0);
  let heldAt = 0;
  let trailer = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (parser.done) {
      const n = Math.min(chunk.length, MAX_TRAILER_BYTES - trailer);
      trailer += n;
      await write(chunk.subarray(0, n));
      continue;
    }
    const data = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
    const dataAt = held.length > 0 ? heldAt : parser.offset;
    parser.write(chunk);
    const slice = (from: number, to: number) => data.subarray(from - dataAt, to - dataAt);
    let sent = dataAt;
    for (const { member, start, end } of pending.splice(0)) {
      await vetter.vet(member);
      if (member.type === 'other')
        await write(slice(sent, start)); // its headers never reach tar
      else await write(slice(sent, end));
      sent = end;
    }
    if (parser.done) {
      await write(data.subarray(sent - dataAt)); // the end-of-archive marker and what follows in this chunk
      trailer = data.length - (parser.offset - dataAt);
      held = Buffer.alloc(0);
      continue;
    }
    const keep = parser.unreported;
    await write(slice(sent, keep));
    held = Buffer.from(slice(keep, parser.offset));
    heldAt = keep;
  }
  parser.end();
  stdin.end();
}

/**
 * GET /files/archive: streams `tar -cf - .` of a directory. Headers wait for tar's first bytes so a tar that
 * cannot start still gets a JSON error; a fatal tar error later aborts the response (the client sees a
 * truncated chunked body, never a silently short archive).
 */
export function streamArchive(dirReal: string, res: ServerResponse): Promise<void> {
  const child = spawn('tar', ['-C', dirReal, '-cf', '-', '.'], {
    env: toolEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < 4096) stderr += b.toString('utf8');
  });
  res.on('close', () => {
    if (!res.writableFinished) child.kill('SIGKILL');
  });
  let started = false;
  const startResponse = () => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'content-type': 'application/x-tar' });
  };
  child.stdout.on('data', (chunk: Buffer) => {
    startResponse();
    if (!res.write(chunk)) {
      child.stdout.pause();
      res.once('drain', () => child.stdout.resume());
    }
  });
  return new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    // tar exits 1 when files changed while it read them: the archive is still complete and usable.
    child.on('close', (code) => {
      if (code === 0 || code === 1) {
        startResponse();
        res.end();
        resolve();
      } else if (!started) {
        reject(new Error(`tar failed (${code}): ${stderr.trim()}`));
      } else {
        res.destroy();
        resolve();
      }
    });
  });
}

/**
 * GET /files/manifest: the manifest of a directory's tree (every member with its SHA-256), built from the
 * same `tar -cf - .` stream GET /files/archive sends, so it compares with a snapshot's manifest entry for
 * entry. Memory: one entry per member, never file contents.
 */
export async function treeManifest(dirReal: string): Promise<Manifest> {
  const child = spawn('tar', ['-C', dirReal, '-cf', '-', '.'], {
    env: toolEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < 4096) stderr += b.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  // The tar's own hash says nothing about the tree (it changes with mtimes and member order): not computed.
  const builder = new ManifestBuilder({ hashTar: false });
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) builder.write(chunk);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const code = await exited;
  // 1: files changed while tar read them; the manifest is still of a complete archive.
  if (code !== 0 && code !== 1) throw new Error(`tar failed (${code}): ${stderr.trim()}`);
  return builder.finish();
}
