import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerthProcess } from '../bench/berth-process.js';
import { removeBerthLeftovers } from '../support/leftovers.js';

/**
 * A 2 GiB file (sparse: it takes no disk) downloads through the files API as a stream, from Berth run in its
 * own process as `npm start` runs it, so its memory can be measured alone: the peak resident set of the
 * whole process (VmHWM, which no sampling can miss) stays under MEMORY_BOUND. The test reads the body chunk
 * by chunk as well, hashing as it goes: nothing holds the file whole on either side.
 */
const SIZE = 2 * 1024 ** 3;
/** `head -c 2G /dev/zero | sha256sum` */
const ZEROS_SHA256 = 'a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51';
/** Berth idles at about 130 MB; buffering the file would take 2 GiB (and fail). */
const MEMORY_BOUND = 300 * 1024 * 1024;

/** Peak and current resident set of a process, bytes. */
async function memoryOf(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { peak: kib('VmHWM'), now: kib('VmRSS') };
}

const MiB = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;

describe('large file downloads', () => {
  const docker = new Dockerode();
  const labelPrefix = `e2e.berth.r${randomBytes(4).toString('hex')}`;
  const key = `key-${randomBytes(12).toString('hex')}`;
  let stateDir = '';
  let berth: Awaited<ReturnType<typeof startBerthProcess>> | undefined;
  let id = '';

  const call = (method: string, p: string, body?: unknown) => berth!.request(method, p, body);
  const sh = async (script: string) => {
    const r = await call('POST', `/v1/workspaces/${id}/exec`, { cmd: ['sh', '-c', script] });
    const out = (await r.json()) as { exitCode: number; stdout: string; stderr: string };
    if (r.status !== 200 || out.exitCode !== 0)
      throw new Error(`${script}: ${r.status} ${JSON.stringify(out)}`);
    return out.stdout;
  };
  const filesUrl = (p: string) => `/v1/workspaces/${id}/files?path=${encodeURIComponent(p)}`;

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'berth-large-'));
    berth = await startBerthProcess({ stateDir, apiKeys: `t:${key}`, labelPrefix });
    const created = await call('POST', '/v1/workspaces', { conversationId: 'large-files' });
    expect(created.status).toBe(201);
    id = ((await created.json()) as { id: string }).id;
    await sh(`truncate -s ${SIZE} big.bin`);
  });

  afterAll(async () => {
    // The sparse file goes before the workspace does: its files are saved on delete.
    if (id) await sh('rm -f big.bin').catch(() => undefined);
    if (id) await call('DELETE', `/v1/workspaces/${id}`).catch(() => undefined);
    await berth?.stop().catch(() => undefined);
    await removeBerthLeftovers({ docker, labelPrefix, stateDir });
  });

  it('a 2 GiB sparse file streams out whole, the Berth process staying under its memory bound', async () => {
    const before = await memoryOf(berth!.pid);
    const started = performance.now();
    const res = await call('GET', filesUrl('big.bin'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    const hash = createHash('sha256');
    let received = 0;
    let midway = 0;
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      received += value.length;
      // Halfway through, the file is mid-flight: Berth holds only what is in transit.
      if (!midway && received >= SIZE / 2) midway = (await memoryOf(berth!.pid)).now;
    }
    const seconds = (performance.now() - started) / 1000;
    const after = await memoryOf(berth!.pid);
    console.log(
      `2 GiB download: ${seconds.toFixed(1)} s (${MiB(SIZE / seconds)}/s); Berth RSS before ${MiB(before.now)} ` +
        `(peak ${MiB(before.peak)}), midway ${MiB(midway)}, peak after ${MiB(after.peak)}`,
    );
    expect(received).toBe(SIZE);
    expect(hash.digest('hex')).toBe(ZEROS_SHA256);
    expect(after.peak).toBeLessThan(MEMORY_BOUND);
  }, 240_000);

  it('a client hanging up mid-download ends the transfer; Berth keeps serving', async () => {
    const controller = new AbortController();
    const res = await fetch(`${berth!.url}${filesUrl('big.bin')}`, {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    for (let received = 0; received < 64 * 1024 * 1024; ) received += (await reader.read()).value!.length;
    // Mid-transfer the agent holds the file open (same uid as the workspace: its fds are visible).
    const holders = () => sh('ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c big.bin || true');
    expect(Number(await holders())).toBeGreaterThan(0);
    controller.abort();
    // The hang-up travels back to the agent, which closes the file: nothing keeps reading it.
    for (const end = Date.now() + 10_000; Number(await holders()) > 0; ) {
      if (Date.now() > end) throw new Error('big.bin is still open in the workspace 10 s after the hang-up');
      await new Promise((r) => setTimeout(r, 200));
    }
    const listing = await call('GET', filesUrl('.'));
    expect(listing.status).toBe(200);
  });

  it('directory listings, errors and small files keep working through the streaming route', async () => {
    const listing = await call('GET', filesUrl('.'));
    expect(listing.status).toBe(200);
    const { entries } = (await listing.json()) as { entries: { name: string; size: number }[] };
    expect(entries.find((e) => e.name === 'big.bin')?.size).toBe(SIZE);

    const missing = await call('GET', filesUrl('nope.bin'));
    expect(missing.status).toBe(404);
    const error = (await missing.json()) as { error: { code: string; requestId: string } };
    expect(error.error.code).toBe('not_found');
    expect(error.error.requestId).toEqual(expect.any(String));

    await sh('printf hello > small.txt');
    const small = await call('GET', filesUrl('small.txt'));
    expect(small.headers.get('content-length')).toBe('5');
    expect(await small.text()).toBe('hello');

    await sh(': > empty.txt');
    const empty = await call('GET', filesUrl('empty.txt'));
    expect(empty.status).toBe(200);
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
  });

  it('binary stdout streams too: 48 MiB of it, byte-exact', async () => {
    const res = await call('POST', `/v1/workspaces/${id}/exec/binary`, {
      cmd: ['head', '-c', String(48 * 1024 * 1024), 'big.bin'],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-exit-code')).toBe('0');
    expect(res.headers.get('content-length')).toBe(String(48 * 1024 * 1024));
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(48 * 1024 * 1024);
    expect(body.equals(Buffer.alloc(body.length))).toBe(true);
  });
});
