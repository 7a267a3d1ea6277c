import { randomUUID } from 'node:crypto';
import { busySince, hostCpu } from './host-cpu.js';
import type { BenchClient } from './http-client.js';

/** One create → first command done, timed from the client (milliseconds since its own start). */
export interface TtiRun {
  ok: boolean;
  error?: string;
  /** Create → first command done. */
  ms: number;
  /** `POST /v1/workspaces` (wait) alone, and the commands after it alone. */
  createMs: number;
  execMs: number;
  /** When it finished, from the start of its batch (bursts: who was served when). */
  doneAtMs: number;
  fromPool: boolean;
  id?: string;
}

interface CreatedWorkspace {
  id: string;
  status: string;
  fromPool: boolean;
}

/**
 * computesdk/benchmarks' check that a sandbox is new (src/sandbox/benchmark.ts, timed with the rest): a marker a
 * reused sandbox would still have, its namespaces, then the marker written. Berth's pool must never hand out a
 * used container, so a marker found fails the iteration, as it fails theirs. Theirs also requires writing the
 * marker to /var/tmp, which workspaces keep writable as they do /tmp: as there, a failed write fails the run.
 */
const freshnessProbe = (token: string) =>
  [
    'set -e',
    'm=""',
    'for p in /tmp/.bench_ephemeral_check /var/tmp/.bench_ephemeral_check; do if [ -f "$p" ]; then m=$p; break; fi; done',
    'printf "marker_path=%s\\n" "$m"',
    'printf "ns_mnt=%s\\nns_pid=%s\\n" "$(readlink /proc/self/ns/mnt)" "$(readlink /proc/self/ns/pid)"',
    `printf '%s' '${token}' > /tmp/.bench_ephemeral_check`,
    `printf '%s' '${token}' > /var/tmp/.bench_ephemeral_check`,
  ].join('; ');

async function exec(client: BenchClient, id: string, cmd: string[]): Promise<string> {
  const r = await client.request('POST', `/v1/workspaces/${id}/exec`, JSON.stringify({ cmd }), {
    'content-type': 'application/json',
  });
  const body =
    r.status === 200 ? (JSON.parse(r.body.toString()) as { exitCode: number; stdout: string }) : null;
  if (!body || body.exitCode !== 0)
    throw new Error(`${cmd[0]}: ${r.status} ${r.body.toString().slice(0, 200)}`);
  return body.stdout;
}

/**
 * Creates a workspace for a new conversation with wait, then runs `node -v` in it (after the freshness probe
 * when `probe`, as computesdk/benchmarks does). A refused create or failed command is a failed run, not an
 * error: bursts count failures.
 */
export async function timeToInteractive(
  client: BenchClient,
  conversationId: string,
  opts: { probe?: boolean; batchStart?: number } = {},
): Promise<TtiRun> {
  const start = performance.now();
  const batchStart = opts.batchStart ?? start;
  let created: CreatedWorkspace | undefined;
  let createMs = 0;
  try {
    const r = await client.request('POST', '/v1/workspaces', JSON.stringify({ conversationId }), {
      'content-type': 'application/json',
    });
    createMs = performance.now() - start;
    if (r.status !== 201 && r.status !== 200)
      throw new Error(`create: ${r.status} ${r.body.toString().slice(0, 200)}`);
    created = JSON.parse(r.body.toString()) as CreatedWorkspace;
    if (created.status !== 'ready') throw new Error(`create: workspace is ${created.status}`);
    if (opts.probe) {
      const out = await exec(client, created.id, ['sh', '-c', freshnessProbe(randomUUID())]);
      if (!/^marker_path=$/m.test(out)) throw new Error(`a used workspace: ${out.split('\n')[0]}`);
    }
    const version = await exec(client, created.id, ['node', '-v']);
    if (!version.startsWith('v')) throw new Error(`node -v said ${version}`);
    const end = performance.now();
    return {
      ok: true,
      ms: end - start,
      createMs,
      execMs: end - start - createMs,
      doneAtMs: end - batchStart,
      fromPool: created.fromPool,
      id: created.id,
    };
  } catch (e) {
    const end = performance.now();
    return {
      ok: false,
      error: (e as Error).message,
      ms: end - start,
      createMs,
      execMs: 0,
      doneAtMs: end - batchStart,
      fromPool: created?.fromPool ?? false,
      ...(created && { id: created.id }),
    };
  }
}

/** `n` runs one after another, each workspace deleted (untimed) before the next run. */
export async function sequentialRuns(
  client: BenchClient,
  n: number,
  prefix: string,
  opts: { probe?: boolean; between?: () => Promise<unknown> } = {},
): Promise<TtiRun[]> {
  const runs: TtiRun[] = [];
  for (let i = 0; i < n; i++) {
    await opts.between?.();
    const run = await timeToInteractive(client, `${prefix}-${i}-${randomUUID()}`, opts);
    runs.push(run);
    // As a sandbox's destroy(): the DELETE answered, its container still stopping.
    if (run.id) await client.request('DELETE', `/v1/workspaces/${run.id}`);
  }
  return runs;
}

/** `n` runs launched `delayMs` apart (0: all at once), each timed on its own; the caller deletes them. */
export async function launchedRuns(
  client: BenchClient,
  n: number,
  delayMs: number,
  prefix: string,
  opts: { probe?: boolean } = {},
): Promise<{ runs: TtiRun[]; wallMs: number; cpuBusy: number }> {
  const cpu = hostCpu();
  const batchStart = performance.now();
  const pending: Promise<TtiRun>[] = [];
  for (let i = 0; i < n; i++) {
    pending.push(timeToInteractive(client, `${prefix}-${i}-${randomUUID()}`, { ...opts, batchStart }));
    if (delayMs > 0 && i < n - 1) await new Promise((r) => setTimeout(r, delayMs));
  }
  const runs = await Promise.all(pending);
  return { runs, wallMs: performance.now() - batchStart, cpuBusy: busySince(cpu) };
}

export const idsOf = (runs: TtiRun[]) => runs.flatMap((r) => (r.id ? [r.id] : []));

/** Deletes workspaces (a few at a time) and waits until each has stopped, so the next measurement starts idle. */
export async function deleteWorkspaces(client: BenchClient, ids: string[], atOnce = 8): Promise<void> {
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      await client.request('DELETE', `/v1/workspaces/${id}`);
      for (let i = 0; i < 600; i++) {
        const r = await client.request('GET', `/v1/workspaces/${id}`);
        const status =
          r.status === 200 ? (JSON.parse(r.body.toString()) as { status: string }).status : 'gone';
        if (status === 'stopped' || status === 'failed' || status === 'gone') break;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  };
  await Promise.all(Array.from({ length: atOnce }, worker));
}

export interface PoolCounts {
  target: number;
  warm: number;
  provisioning: number;
  claims: number;
  misses: number;
}

export async function poolCounts(client: BenchClient): Promise<PoolCounts> {
  const r = await client.request('GET', '/v1/pool');
  if (r.status !== 200) throw new Error(`GET /v1/pool: ${r.status} ${r.body.toString()}`);
  const { templates } = JSON.parse(r.body.toString()) as { templates: (PoolCounts & { template: string })[] };
  const pool = templates.find((t) => t.template === 'default');
  if (!pool) throw new Error('GET /v1/pool has no default template');
  return pool;
}

/** Waits until the pool has its target warm and none starting; the milliseconds it took. */
export async function waitForFullPool(client: BenchClient, timeoutMs = 180_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    const p = await poolCounts(client);
    if (p.target > 0 && p.warm >= p.target && p.provisioning === 0) return performance.now() - start;
    if (performance.now() - start > timeoutMs)
      throw new Error(`the pool did not fill in ${timeoutMs} ms: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
