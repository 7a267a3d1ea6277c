import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotPrefix } from '@berth/core';
import { MAKE_TREE, TREE_HASH, memoryOf } from '../support/snapshot-tree.js';
import { startBerthProcess } from './berth-process.js';
import { summarize, type Summary } from './stats.js';
import { removeBerthLeftovers } from '../support/leftovers.js';

const KEY = `bench_${randomBytes(12).toString('hex')}`;
const TENANT = 'bench';
const LABEL_PREFIX = 'bench.berth.snapshots';
const ROUNDS = 3;

export interface SnapshotResults {
  bytes: number;
  /** `DELETE` → stopped: the agent's tar streamed into the blob store (plus stopping the container). */
  save: Summary;
  /** `POST /v1/workspaces` → ready: a container started and the snapshot streamed in and checked. */
  restore: Summary;
  /** The same create and delete for a conversation without files: what save and restore add to. */
  emptyCreate: Summary;
  emptyDelete: Summary;
  /** `tar -cf - . | cat > file` and `cat file | tar -xf -` of the same tree on the host. */
  tarSave: Summary;
  tarRestore: Summary;
  peakRssBytes: number;
}

/** Snapshot save and restore of 200 MiB through Berth (its own process), next to plain tar + copy. */
export async function runSnapshotBench(): Promise<SnapshotResults> {
  const stateDir = await mkdtemp(join(tmpdir(), 'berth-bench-snap-'));
  const berth = await startBerthProcess({ stateDir, apiKeys: `${TENANT}:${KEY}`, labelPrefix: LABEL_PREFIX });
  const call = async (method: string, p: string, body?: unknown) => {
    const r = await berth.request(method, p, body, 180_000);
    return { status: r.status, json: (await r.json()) as { id: string; status: string; stdout?: string } };
  };
  const create = async (conversationId: string) => {
    const t = performance.now();
    const r = await call('POST', '/v1/workspaces', { conversationId });
    if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.json)}`);
    return { id: r.json.id, ms: performance.now() - t };
  };
  const remove = async (id: string) => {
    const t = performance.now();
    await call('DELETE', `/v1/workspaces/${id}`);
    for (;;) {
      if ((await call('GET', `/v1/workspaces/${id}`)).json.status === 'stopped') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now() - t;
  };
  const sh = async (id: string, script: string) => {
    const r = await call('POST', `/v1/workspaces/${id}/exec`, {
      cmd: ['sh', '-c', script],
      timeoutMs: 120_000,
    });
    return (r.json.stdout ?? '').trim();
  };
  try {
    const conv = `snap-${randomBytes(4).toString('hex')}`;
    let ws = await create(conv);
    const bytes = Number(await sh(ws.id, MAKE_TREE));
    const hash = await sh(ws.id, TREE_HASH);
    const save: number[] = [];
    const restore: number[] = [];
    const emptyCreate: number[] = [];
    const emptyDelete: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      save.push(await remove(ws.id));
      ws = await create(conv);
      restore.push(ws.ms);
      const empty = await create(`empty-${randomBytes(4).toString('hex')}`);
      emptyCreate.push(empty.ms);
      emptyDelete.push(await remove(empty.id));
    }
    if ((await sh(ws.id, TREE_HASH)) !== hash) throw new Error('the restored tree differs');
    await remove(ws.id);
    const peakRssBytes = (await memoryOf(berth.pid)).peak;

    // The baseline: the same tree (extracted from Berth's snapshot) through plain tar and a file copy.
    const blobDir = join(stateDir, 'blobs', snapshotPrefix(TENANT, conv));
    const tar = join(blobDir, (await readdir(blobDir)).find((n) => n.endsWith('.tar'))!);
    const tree = join(stateDir, 'tree');
    await mkdir(tree);
    execFileSync('tar', ['-C', tree, '-xf', tar]);
    const tarSave: number[] = [];
    const tarRestore: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const out = join(stateDir, `copy-${i}.tar`);
      const into = join(stateDir, `restored-${i}`);
      await mkdir(into);
      let t = performance.now();
      execFileSync('sh', ['-c', `tar -C "${tree}" -cf - . | cat > "${out}"`]);
      tarSave.push(performance.now() - t);
      t = performance.now();
      execFileSync('sh', ['-c', `cat "${out}" | tar -C "${into}" -xf -`]);
      tarRestore.push(performance.now() - t);
      await rm(into, { recursive: true, force: true });
      await rm(out, { force: true });
    }
    return {
      bytes,
      save: summarize(save),
      restore: summarize(restore),
      emptyCreate: summarize(emptyCreate),
      emptyDelete: summarize(emptyDelete),
      tarSave: summarize(tarSave),
      tarRestore: summarize(tarRestore),
      peakRssBytes,
    };
  } finally {
    await berth.stop().catch(() => undefined);
    await removeBerthLeftovers({ labelPrefix: LABEL_PREFIX, stateDir });
  }
}

export function snapshotSection(r: SnapshotResults): string {
  const mib = r.bytes / 2 ** 20;
  const rate = (ms: number) => `${(mib / (ms / 1000)).toFixed(0)} MiB/s`;
  const line = (name: string, s: Summary, extra: string) =>
    `| ${name} | ${s.n} | ${s.median.toFixed(0)} | ${s.min.toFixed(0)} | ${s.max.toFixed(0)} | ${extra} |`;
  return [
    '## File snapshots (200 MiB, local Docker)',
    '',
    `A workspace tree of ${mib.toFixed(0)} MiB (4,096 files of 4 KiB, three of 56–64 MiB, links) saved on delete ` +
      'and restored on the next create of its conversation, streamed agent → Berth → blob store (a directory) ' +
      "and back, the restore checked against the snapshot's manifest (SHA-256 of the tar and of every file). " +
      `Median of ${ROUNDS} rounds; MiB/s over the whole call. The empty rows are the same calls for a conversation ` +
      'without files (container start and stop); the tar rows are `tar -cf - . | cat > file` and ' +
      '`cat file | tar -xf -` of the same tree on the host.',
    '',
    '| operation | n | median ms | min ms | max ms | rate |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    line('save: `DELETE` → stopped', r.save, rate(r.save.median)),
    line('restore: `POST /v1/workspaces` → ready', r.restore, rate(r.restore.median)),
    line('empty conversation: `DELETE` → stopped', r.emptyDelete, ''),
    line('empty conversation: `POST /v1/workspaces` → ready', r.emptyCreate, ''),
    // A pipe inside a table cell must be escaped, code span or not.
    line('`tar -cf - . \\| cat > file`', r.tarSave, rate(r.tarSave.median)),
    line('`cat file \\| tar -xf -`', r.tarRestore, rate(r.tarRestore.median)),
    '',
    `Berth's peak resident set over the run: ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB.`,
    '',
  ].join('\n');
}
