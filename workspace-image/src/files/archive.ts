import { spawn } from 'node:child_process';
import type { Stats } from 'node:fs';
import { mkdir, readlink, realpath } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { invalidPath, invalidRequest } from '../errors.js';
import { toolEnv } from '../exec/child-env.js';
import { isInside, lstatOrNull, resolveEntry, type WorkspaceRoot } from './safe-path.js';
import { listTarMembers, type TarMember } from './tar-headers.js';

const MAX_SYMLINK_HOPS = 40;

/**
 * Refuses an archive that would write outside the workspace when extracted into `targetParts`: absolute or
 * `..` member names, and any member, link target or hard link whose path leaves the root once resolved the
 * way the kernel will: through the archive's own symlinks (members are replayed in order, as tar extracts
 * them) and through symlinks already on disk. Symlinks may point anywhere inside the workspace, `../`
 * included (node_modules/.bin does that). Where tar's behaviour could go either way (it may keep or replace
 * a symlink with a directory of the same name), the link is assumed to stay.
 */
export async function vetArchive(
  ws: WorkspaceRoot,
  targetParts: string[],
  members: TarMember[],
): Promise<void> {
  // Symlinks the archive creates, keyed by where they land (root-relative, resolved parent).
  const links = new Map<string, string>();
  const resolver = new VirtualResolver(ws, links);
  const created: { where: string; dir: string[]; linkname: string }[] = [];
  for (const member of members) {
    const where = JSON.stringify(member.name);
    const parts = [...targetParts, ...memberParts(member.name, 'member name')];
    if (parts.length === targetParts.length) {
      if (member.type !== 'dir')
        throw invalidRequest(`tar member ${where} would replace the target directory`);
      continue;
    }
    const dir = await resolver.resolve(parts.slice(0, -1), `tar member ${where}`);
    const location = [...dir, parts[parts.length - 1] as string].join('/');
    if (member.type === 'symlink') {
      if (member.linkname === '') throw invalidRequest(`tar symlink ${where} has no target`);
      await resolver.resolveFrom(dir, member.linkname, `tar symlink ${where}`);
      links.set(location, member.linkname);
      created.push({ where, dir, linkname: member.linkname });
      continue;
    }
    await resolver.resolve(location.split('/'), `tar member ${where}`);
    if (member.type === 'hardlink') {
      const target = [...targetParts, ...memberParts(member.linkname, 'hard link target')];
      await resolver.resolve(target, `tar hard link ${where}`);
    }
    if (member.type !== 'dir') links.delete(location); // tar replaces a link with the file
  }
  // Link targets are followed when used, so they must stay inside with every link of the archive in place.
  for (const link of created)
    await resolver.resolveFrom(link.dir, link.linkname, `tar symlink ${link.where}`);
}

/** Splits a member path; absolute names and `..` are refused outright, whatever they would resolve to. */
function memberParts(name: string, what: string): string[] {
  if (name.startsWith('/')) throw invalidRequest(`tar ${what} ${JSON.stringify(name)} is absolute`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw invalidRequest(`tar ${what} ${JSON.stringify(name)} contains ".."`);
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
    if (base === undefined) throw invalidRequest(`${what} points outside the workspace`);
    return target.slice(base.length).split('/');
  }

  private async walk(cur: string[], queue: string[], what: string): Promise<string[]> {
    let hops = 0;
    while (queue.length > 0) {
      const c = queue.shift() as string;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (cur.length === 0) throw invalidRequest(`${what} points outside the workspace`);
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
      if (++hops > MAX_SYMLINK_HOPS) throw invalidRequest(`${what}: too many levels of symlinks`);
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
    if (real === null || !isInside(ws, real)) throw invalidPath(`${entry.rel} is a symlink leading outside`);
  } else if (entry.lstat && !entry.lstat.isDirectory()) {
    throw invalidPath(`${entry.rel} is not a directory`);
  }
  return entry;
}

/** PUT /files/archive: vet, then let GNU tar extract (it refuses `..` and absolute names again itself). */
export async function extractArchive(ws: WorkspaceRoot, path: string, tar: Buffer): Promise<void> {
  const target = await checkExtractTarget(ws, path);
  await vetArchive(ws, target.parts, listTarMembers(tar));
  await mkdir(target.abs, { recursive: true });
  // Re-check after mkdir: the directories may have been created or replaced meanwhile.
  const dir = await realpath(target.abs);
  if (!isInside(ws, dir)) throw invalidPath(`${target.rel} leads outside the workspace`);
  const child = spawn('tar', ['-C', dir, '-xf', '-', '--no-same-owner', '--no-same-permissions'], {
    env: toolEnv(),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < 4096) stderr += b.toString('utf8');
  });
  child.stdin.on('error', () => {
    // EPIPE: tar stopped reading (bad archive); its exit status says why.
  });
  child.stdin.end(tar);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw invalidRequest(`tar could not extract the archive: ${stderr.trim().slice(0, 1000)}`);
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
