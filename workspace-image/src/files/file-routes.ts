import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RequestContext } from '../context.js';
import { agentInvalidPath, agentInvalidRequest, agentNotFound } from '../errors.js';
import { readBody, sendJson, sendNoContent } from '../http-io.js';
import type { DirectoryListing, FileEntry } from '@berth/protocol';
import { extractArchive, streamArchive, treeManifest } from './archive.js';
import { isErrno, isInside, resolveEntry, resolveExisting } from './safe-path.js';

function pathParam(ctx: RequestContext, required: boolean): string {
  const path = ctx.url.searchParams.get('path');
  if (path === null || path === '') {
    if (required) throw agentInvalidRequest('query parameter "path" is required');
    return '.';
  }
  return path;
}

/** GET /files: a file's bytes, or a directory's listing (symlinks listed, not followed). */
export async function handleReadFile(ctx: RequestContext): Promise<void> {
  const { rel, real } = await resolveExisting(ctx.ws, pathParam(ctx, false));
  const st = await lstat(real);
  if (st.isDirectory()) {
    const listing: DirectoryListing = { entries: await listDirectory(real) };
    sendJson(ctx.res, 200, listing);
    return;
  }
  if (!st.isFile()) throw agentInvalidPath(`${rel} is not a regular file`);
  // real has no symlinks left; O_NOFOLLOW refuses one swapped in since, O_NONBLOCK a swapped-in fifo.
  const fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const fst = await fh.stat();
    if (!fst.isFile()) throw agentInvalidPath(`${rel} is not a regular file`);
    ctx.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fst.size });
    if (fst.size === 0) {
      ctx.res.end();
      return;
    }
    // end pins the length to what content-length promised, even if the file grows meanwhile.
    const stream = fh.createReadStream({ start: 0, end: fst.size - 1, autoClose: false });
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      ctx.res.on('close', resolve);
      stream.pipe(ctx.res);
    });
  } finally {
    await fh.close();
  }
}

async function listDirectory(dir: string): Promise<FileEntry[]> {
  const names = (await readdir(dir)).sort();
  const entries: FileEntry[] = [];
  for (const name of names) {
    let st: Stats;
    try {
      st = await lstat(join(dir, name));
    } catch {
      continue; // removed while listing
    }
    entries.push({ name, type: entryType(st), size: st.size, mtime: st.mtime.toISOString() });
  }
  return entries;
}

function entryType(st: Stats): FileEntry['type'] {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

/**
 * PUT /files: atomic write (temp file in the same directory, then rename), parents created. The final
 * component is never followed: writing to an existing symlink is refused.
 */
export async function handleWriteFile(ctx: RequestContext): Promise<void> {
  const body = await readBody(ctx.req);
  const entry = await resolveEntry(ctx.ws, pathParam(ctx, true));
  if (entry.parts.length === 0) throw agentInvalidPath('cannot write to the workspace root');
  if (entry.lstat?.isSymbolicLink())
    throw agentInvalidPath(`${entry.rel} is a symlink; refusing to write through it`);
  if (entry.lstat?.isDirectory()) throw agentInvalidPath(`${entry.rel} is a directory`);

  const parent = dirname(entry.abs);
  await mkdir(parent, { recursive: true }).catch((err: unknown) => {
    if (isErrno(err, 'EEXIST') || isErrno(err, 'ENOTDIR'))
      throw agentInvalidPath(`a parent of ${entry.rel} is not a directory`);
    throw err;
  });
  // Re-check after mkdir: the directories may have been created or replaced meanwhile.
  const parentReal = await realpath(parent);
  if (!isInside(ctx.ws, parentReal)) throw agentInvalidPath(`${entry.rel} leads outside the workspace`);
  const name = basename(entry.abs);
  const target = join(parentReal, name);
  const tmp = join(parentReal, `.${name.slice(0, 100)}.berth-${randomBytes(6).toString('hex')}.tmp`);

  const fh = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o666,
  );
  try {
    await fh.writeFile(body);
    // Keep an existing file's mode (an executable script stays executable).
    if (entry.lstat?.isFile()) await fh.chmod(entry.lstat.mode & 0o7777);
    await fh.close();
    await rename(tmp, target);
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    if (isErrno(err, 'EISDIR')) throw agentInvalidPath(`${entry.rel} is a directory`);
    throw err;
  }
  sendNoContent(ctx.res);
}

/** DELETE /files: recursive for directories; a symlink is removed itself, never its target. */
export async function handleDeleteFile(ctx: RequestContext): Promise<void> {
  const entry = await resolveEntry(ctx.ws, pathParam(ctx, true));
  if (entry.parts.length === 0) throw agentInvalidPath('cannot delete the workspace root');
  if (!entry.lstat) throw agentNotFound(`${entry.rel} does not exist`);
  await rm(entry.abs, { recursive: true, force: true });
  sendNoContent(ctx.res);
}

/** GET /files/archive: tar of a directory (default: the whole workspace). */
export async function handleGetArchive(ctx: RequestContext): Promise<void> {
  const { rel, real } = await resolveExisting(ctx.ws, pathParam(ctx, false));
  if (!(await lstat(real)).isDirectory()) throw agentInvalidPath(`${rel} is not a directory`);
  await streamArchive(real, ctx.res);
}

/** PUT /files/archive: extract a tar into a directory (created if missing). */
export async function handlePutArchive(ctx: RequestContext): Promise<void> {
  await extractArchive(ctx.ws, pathParam(ctx, false), ctx.req);
  sendNoContent(ctx.res);
}

/** GET /files/manifest: the manifest of a directory's tree (default: the whole workspace). */
export async function handleGetManifest(ctx: RequestContext): Promise<void> {
  const { rel, real } = await resolveExisting(ctx.ws, pathParam(ctx, false));
  if (!(await lstat(real)).isDirectory()) throw agentInvalidPath(`${rel} is not a directory`);
  sendJson(ctx.res, 200, await treeManifest(real));
}

/** GET /files/changes?since=<cursor>. */
export async function handleChanges(ctx: RequestContext): Promise<void> {
  const since = ctx.url.searchParams.get('since');
  sendJson(ctx.res, 200, await ctx.changes.since(since === null || since === '' ? undefined : since));
}
