import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent, LAUNCHERS, requireSpawner } from './helpers.js';

describe.each(LAUNCHERS)('POST /exec/binary ($name)', ({ name, config }) => {
  let t: TestAgent;
  beforeAll(async () => {
    if (name === 'berth-spawner') requireSpawner();
    t = await startTestAgent(config);
  });
  afterAll(() => t.stop());

  it('returns stdout byte-exact with the outcome in headers', async () => {
    const blob = randomBytes(300_000);
    await writeFile(join(t.root, 'blob.bin'), blob);
    const r = await t.call('POST', '/exec/binary', {
      body: { cmd: ['sh', '-c', 'cat blob.bin; echo warn >&2'] },
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.headers['x-exit-code']).toBe('0');
    expect(r.headers['x-timed-out']).toBe('false');
    expect(r.headers['x-truncated']).toBe('false');
    expect(Number(r.headers['x-duration-ms'])).toBeGreaterThanOrEqual(0);
    expect(Buffer.from(String(r.headers['x-stderr']), 'base64').toString()).toBe('warn\n');
    expect(r.body.equals(blob)).toBe(true);
  });

  it('carries 4 MiB of stdin through the command and 16 MiB of output back, byte-exact', async () => {
    // Large enough to need many stdin frames, full pipes and backpressure on every hop.
    const input = randomBytes(4 * 1024 * 1024).toString('base64'); // ~5.6 MB of text, under the body limit
    const r = await t.call('POST', '/exec/binary', {
      body: { cmd: ['sh', '-c', 'cat; head -c 16777216 /dev/zero | tr "\\0" z'], stdin: input },
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-exit-code']).toBe('0');
    expect(r.body.length).toBe(input.length + 16 * 1024 * 1024);
    expect(r.body.subarray(0, input.length).toString('utf8')).toBe(input);
    expect(r.body.subarray(input.length).every((b) => b === 0x7a)).toBe(true);
  });

  it('passes through what a pipeline produced (head | tee)', async () => {
    const r = await t.call('POST', '/exec/binary', {
      body: { cmd: ['sh', '-c', 'head -c 100000 /dev/urandom | tee rand.bin'] },
    });
    const onDisk = await readFile(join(t.root, 'rand.bin'));
    expect(onDisk.length).toBe(100_000);
    expect(r.body.equals(onDisk)).toBe(true);
  });

  it('reports signals, timeouts, non-zero exits and truncation', async () => {
    const killed = await t.call('POST', '/exec/binary', { body: { cmd: ['sleep', '5'], timeoutMs: 100 } });
    expect(killed.headers['x-exit-code']).toBe('null');
    expect(killed.headers['x-signal']).toBe('SIGKILL');
    expect(killed.headers['x-timed-out']).toBe('true');
    const failed = await t.call('POST', '/exec/binary', { body: { cmd: ['sh', '-c', 'printf ab; exit 4'] } });
    expect(failed.headers['x-exit-code']).toBe('4');
    expect(failed.body.toString()).toBe('ab');
    const cut = await t.call('POST', '/exec/binary', {
      body: { cmd: ['printf', 'abcdef'], maxOutputBytes: 4 },
    });
    expect(cut.body.toString()).toBe('abcd');
    expect(cut.headers['x-truncated']).toBe('true');
  });
});
