import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BerthApiError, BerthConnectionError, BerthError, type WorkspaceHandle } from '@berth/sdk';
import { exactly } from '../args.js';
import type { Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { printJson } from '../output.js';

/** `<id>:<path>`; a colon after a slash (`./a:b`) is part of a local path. */
const REMOTE = /^([^/:]+):(.*)$/;

interface Remote {
  id: string;
  path: string;
}

export const cp: Command = {
  name: ['cp'],
  aliases: [['ws', 'cp']],
  usage: 'cp <src> <dst>   (one side <id>:<path> in the workspace, the other a local path)',
  summary: 'copy one file in or out, byte for byte (files only, no directories)',
  async run(ctx) {
    const [src, dst] = exactly(ctx.positionals, ['<src>', '<dst>']) as [string, string];
    const from = remote(src);
    const to = remote(dst);
    if (from && to) throw new UsageError('one side must be a local path');
    if (!from && !to) throw new UsageError('one side must be <id>:<path> in a workspace');
    let bytes: number;
    let target: string;
    if (to) {
      const data = await readLocal(src);
      // Like cp: a destination ending in `/` (or the workspace root) keeps the source's name.
      target = !to.path || to.path.endsWith('/') ? `${to.path}${basename(src)}` : to.path;
      await ctx.berth().workspaces.handle(to.id).files.write(target, data);
      bytes = data.byteLength;
      target = `${to.id}:${target}`;
    } else {
      const data = await readRemote(ctx.berth().workspaces.handle(from!.id), from!.path);
      target = (await isDirectory(dst)) ? join(dst, basename(from!.path)) : dst;
      bytes = await writeStreamed(data, target);
    }
    if (ctx.json) await printJson(ctx, { from: src, to: target, bytes });
    return 0;
  },
};

function remote(arg: string): Remote | undefined {
  const m = REMOTE.exec(arg);
  return m ? { id: m[1]!, path: m[2]! } : undefined;
}

async function readLocal(path: string): Promise<Uint8Array> {
  if (await isDirectory(path)) throw new CliError(`${path} is a directory: cp copies files only`);
  return readFile(path);
}

async function readRemote(ws: WorkspaceHandle, path: string): Promise<ReadableStream<Uint8Array>> {
  if (!path) throw new CliError(`${ws.id}: is the workspace directory: cp copies files only`);
  try {
    return await ws.files.readStream(path);
  } catch (e) {
    // The SDK's own (not API or connection) error here means the path is a directory.
    if (e instanceof BerthError && !(e instanceof BerthApiError) && !(e instanceof BerthConnectionError))
      throw new CliError(`${ws.id}:${path} is a directory: cp copies files only`);
    throw e;
  }
}

/** Writes a download to disk as it arrives (any size, bounded memory); answers how many bytes it wrote. */
async function writeStreamed(data: ReadableStream<Uint8Array>, target: string): Promise<number> {
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(data as WebReadableStream<Uint8Array>), count, createWriteStream(target));
  return bytes;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
