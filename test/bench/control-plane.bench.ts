import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Dockerode from 'dockerode';
import { labelKeys } from '../../local-docker/src/runtime/labels.js';
import { startBerthProcess } from './berth-process.js';
import { BenchClient } from './http-client.js';
import { row, summarize, timeInterleaved, timeRuns, type Summary } from './stats.js';
import { removeBerthLeftovers } from '../support/leftovers.js';

interface Workspace {
  id: string;
  status: string;
}

const KEY = `bench_${randomBytes(12).toString('hex')}`;
/** Its own label prefix: the bench's Berth must never sweep a developer's own workspaces, nor they its. */
const LABEL_PREFIX = 'bench.berth';
/** Interleaved rounds of the Berth rows and their Engine API baseline. */
const ROUNDS = 5;
/** Untimed exec calls before the timed ones. */
const EXEC_WARMUP = 1500;

/** `docker exec` of one command through the Engine API (what a user without Berth's agent would do). */
async function dockerExec(container: Dockerode.Container, cmd: string[]): Promise<number> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: '1000:1000' });
  const stream = await exec.start({ hijack: true, stdin: false });
  const sink = new PassThrough();
  container.modem.demuxStream(stream, sink, sink);
  sink.resume();
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  return (await exec.inspect()).ExitCode ?? -1;
}

/** A one-file tar (what the Engine's archive API takes and gives). */
function tarOf(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0001750\0', 108);
  header.write('0001750\0', 116);
  header.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write(
    Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0') + '\0',
    136,
  );
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

export interface ControlPlaneResults {
  coldAcquire: Summary;
  execApi: Summary;
  execDocker: Summary;
  putApi: Summary;
  getApi: Summary;
  putDocker: Summary;
  getDocker: Summary;
}

export async function runControlPlaneBench(opts: { acquires?: number; execs?: number; files?: number } = {}) {
  const stateDir = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  // Berth as users run it (`npm start`): its own process, talking to this one over HTTP, like dockerd does.
  const berth = await startBerthProcess({ stateDir, apiKeys: `bench:${KEY}`, labelPrefix: LABEL_PREFIX });
  const client = new BenchClient(berth.url, KEY);
  const docker = new Dockerode();
  const created: string[] = [];
  try {
    // Cold acquire: a new conversation each time, create with wait until ready.
    const coldAcquire = await timeRuns(
      opts.acquires ?? 15,
      async (i) => {
        const ws = await client.json<Workspace>('POST', '/v1/workspaces', {
          conversationId: `bench-${i}-${Date.now()}`,
        });
        if (ws.status !== 'ready') throw new Error(`workspace ${ws.id} is ${ws.status}`);
        created.push(ws.id);
      },
      2,
    );
    // Clean up outside the timing, and keep one workspace for the rest.
    const keep = created.pop()!;
    for (const id of created.splice(0)) await client.request('DELETE', `/v1/workspaces/${id}`);
    created.push(keep);
    const [info] = await docker.listContainers({
      filters: { label: [`${labelKeys(LABEL_PREFIX).workspaceId}=${keep}`] },
    });
    if (!info) throw new Error(`no container for workspace ${keep}`);
    const container = docker.getContainer(info.Id);

    const execBody = JSON.stringify({ cmd: ['true'] });
    const execs = opts.execs ?? 300;
    const [execApi, execDocker] = await timeInterleaved(ROUNDS, [
      {
        runs: execs,
        // A server that has been up a while: V8 has optimized its hot path (the first ~1000 calls of a
        // fresh process run ~1.5 ms slower while it does).
        warmup: EXEC_WARMUP,
        fn: async () => {
          const r = await client.request('POST', `/v1/workspaces/${keep}/exec`, execBody, {
            'content-type': 'application/json',
          });
          if (r.status !== 200 || JSON.parse(r.body.toString()).exitCode !== 0)
            throw new Error(`exec failed: ${r.body}`);
        },
      },
      {
        runs: Math.min(execs, 60),
        warmup: 20,
        fn: async () => {
          if ((await dockerExec(container, ['true'])) !== 0) throw new Error('docker exec failed');
        },
      },
    ]);

    const mib = randomBytes(1024 * 1024);
    const n = opts.files ?? 30;
    const tar = tarOf('bench-docker.bin', mib);
    const [putApi, putDocker] = await timeInterleaved(ROUNDS, [
      {
        runs: n,
        fn: async () => {
          const r = await client.request('PUT', `/v1/workspaces/${keep}/files?path=bench.bin`, mib, {
            'content-type': 'application/octet-stream',
          });
          if (r.status !== 204) throw new Error(`put failed ${r.status}`);
        },
      },
      { runs: n, fn: () => container.putArchive(tar, { path: '/workspace' }) },
    ]);
    const [getApi, getDocker] = await timeInterleaved(ROUNDS, [
      {
        runs: n,
        fn: async () => {
          const r = await client.request('GET', `/v1/workspaces/${keep}/files?path=bench.bin`);
          if (r.status !== 200 || !r.body.equals(mib)) throw new Error('get returned other bytes');
        },
      },
      {
        runs: n,
        fn: async () => {
          const stream = await container.getArchive({ path: '/workspace/bench-docker.bin' });
          const chunks: Buffer[] = [];
          for await (const c of stream) chunks.push(c as Buffer);
          if (Buffer.concat(chunks).length < mib.length) throw new Error('short archive');
        },
      },
    ]);

    return {
      coldAcquire: summarize(coldAcquire),
      execApi: summarize(execApi!),
      execDocker: summarize(execDocker!),
      putApi: summarize(putApi!),
      getApi: summarize(getApi!),
      putDocker: summarize(putDocker!),
      getDocker: summarize(getDocker!),
    } satisfies ControlPlaneResults;
  } finally {
    for (const id of created) await client.request('DELETE', `/v1/workspaces/${id}`).catch(() => undefined);
    client.close();
    await berth.stop();
    await removeBerthLeftovers({ docker, labelPrefix: LABEL_PREFIX, stateDir });
  }
}

export function controlPlaneSection(r: ControlPlaneResults): string {
  const speedup = r.execDocker.median / r.execApi.median;
  return [
    '## Control plane (local Docker)',
    '',
    `Milliseconds. Berth runs as its own process, as \`npm start\` runs it (its logs and EMF metrics written to /dev/null); the same container serves the Berth API rows and the Docker Engine API rows, measured in ${ROUNDS} rounds that interleave them. Exec rows follow warm-up calls (${EXEC_WARMUP} through Berth, 20 \`docker exec\`): both serve as long-running processes would.`,
    '',
    '| operation | n | median | p95 | min | max |',
    '|---|---|---|---|---|---|',
    row('cold acquire: `POST /v1/workspaces` (wait) → ready', r.coldAcquire),
    row('exec `true`: Berth API round trip', r.execApi),
    row('exec `true`: `docker exec` via Engine API (dockerode)', r.execDocker),
    row('file put 1 MiB: Berth API', r.putApi),
    row('file put 1 MiB: Engine API putArchive', r.putDocker),
    row('file get 1 MiB: Berth API', r.getApi),
    row('file get 1 MiB: Engine API getArchive', r.getDocker),
    '',
    `Exec through Berth is **${speedup.toFixed(1)}×** faster than \`docker exec\` at the median.`,
    '',
    'Targets: cold acquire median ≤ 450 ms; exec round trip p50 ≤ 5 ms and ≥ 10× faster than `docker exec`.',
    '',
  ].join('\n');
}
