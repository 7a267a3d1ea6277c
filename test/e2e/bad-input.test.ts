import { beforeAll, describe, expect, it } from 'vitest';
import { managedFilter } from '../../local-docker/src/runtime/labels.js';
import { expectErrorShape, uniq, useLocalBerth, type WorkspaceView } from '../support/local-berth.js';

// Every refusal: the exact status, API.md's error shape, and nothing changed behind it.
const b = useLocalBerth();
let ws: WorkspaceView;
const MiB = 1024 * 1024;

/** What a bad request must not change: both tenants' workspaces, this host's containers, a marker file. */
async function snapshot() {
  const list = async (key: string) =>
    (await b.api<{ items: WorkspaceView[] }>('GET', '/v1/workspaces?limit=100', { key })).json.items
      .map((w) => `${w.id}:${w.status}:${w.conversationId}:${w.expiresAt}:${w.terminationReason}`)
      .sort();
  const containers = (
    await b.docker.listContainers({ all: true, filters: { label: [managedFilter(b.labelPrefix)] } })
  )
    .map((c) => `${c.Id}:${c.State}`)
    .sort();
  const marker = await b.sh(
    ws.id,
    'cat /workspace/marker.txt; sha256sum /etc/passwd; ls -A /workspace | sort',
  );
  return { a: await list(b.keys.A), b: await list(b.keys.B), containers, marker };
}

/** Runs the bad requests and checks that nothing moved. */
async function unchanged(fn: () => Promise<void>) {
  const before = await snapshot();
  // The snapshot sees what it guards (else "unchanged" would hold trivially).
  expect(before.containers.length).toBeGreaterThan(0);
  expect(before.a.some((w) => w.startsWith(`${ws.id}:ready:`))).toBe(true);
  expect(before.marker).toMatch(/^untouched\n[0-9a-f]{64} {2}\/etc\/passwd\n/);
  await fn();
  expect(await snapshot()).toEqual(before);
}

beforeAll(async () => {
  ws = (await b.createWorkspace(uniq('bad'))).json;
  await b.sh(ws.id, 'echo untouched > /workspace/marker.txt');
});

describe('bodies', () => {
  it('malformed JSON → 400 invalid_json', async () => {
    await unchanged(async () => {
      for (const body of ['{', '{"conversationId": "x",}', 'nope', '{"conversationId": "x"} trailing']) {
        const r = await b.api('POST', '/v1/workspaces', {
          body,
          headers: { 'content-type': 'application/json' },
        });
        expectErrorShape(r, 400, 'invalid_json');
      }
      const exec = await b.api('POST', `/v1/workspaces/${ws.id}/exec`, {
        body: '{"cmd": ["echo"',
        headers: { 'content-type': 'application/json' },
      });
      expectErrorShape(exec, 400, 'invalid_json');
    });
  });

  it('wrong content type → 415', async () => {
    await unchanged(async () => {
      const body = JSON.stringify({ conversationId: uniq('ct') });
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
        const r = await b.api('POST', '/v1/workspaces', { body, headers: { 'content-type': type } });
        expectErrorShape(r, 415, 'unsupported_media_type');
      }
      const exec = await b.api('POST', `/v1/workspaces/${ws.id}/exec`, {
        body: JSON.stringify({ cmd: ['touch', '/workspace/should-not-exist'] }),
        headers: { 'content-type': 'text/plain' },
      });
      expectErrorShape(exec, 415, 'unsupported_media_type');
    });
  });

  it('bad conversationId → 400 (empty, 129 chars, space, slash, not a string, missing)', async () => {
    await unchanged(async () => {
      const bad: unknown[] = ['', 'x'.repeat(129), 'has space', 'a/b', 'ü', 42, null];
      for (const conversationId of bad) {
        const r = await b.api('POST', '/v1/workspaces', { body: { conversationId } });
        expectErrorShape(r, 400, 'invalid_request');
      }
      expectErrorShape(await b.api('POST', '/v1/workspaces', { body: {} }), 400, 'invalid_request');
      // Other fields out of range, and unknown fields.
      for (const extra of [{ ttlSeconds: 59 }, { ttlSeconds: 86_401 }, { wait: 'yes' }, { surprise: 1 }]) {
        const r = await b.api('POST', '/v1/workspaces', { body: { conversationId: uniq('ok'), ...extra } });
        expectErrorShape(r, 400, 'invalid_request');
      }
    });
    // The boundary itself is fine: 128 characters of the allowed set (made, then deleted).
    const edge = `a.b_c:d-${'x'.repeat(120)}`;
    expect(edge).toHaveLength(128);
    const r = await b.createWorkspace(edge, { wait: false });
    expect(r.status).toBe(201);
    await b.until(
      async () =>
        (await b.api<WorkspaceView>('GET', `/v1/workspaces/${r.json.id}`)).json.status !== 'provisioning',
      20_000,
      'edge workspace settled',
    );
    expect((await b.api('DELETE', `/v1/workspaces/${r.json.id}`)).status).toBe(202);
  });

  it('bad list queries → 400', async () => {
    await unchanged(async () => {
      for (const q of [
        'status=bogus',
        'limit=0',
        'limit=101',
        'limit=abc',
        'label=nocolon',
        'cursor=not-a-cursor',
      ]) {
        expectErrorShape(await b.api('GET', `/v1/workspaces?${q}`), 400, 'invalid_request');
      }
    });
  });

  it('cmd not an array of strings → 400', async () => {
    await unchanged(async () => {
      for (const cmd of ['touch /workspace/x', [], [1, 2], ['ls', 3], [['ls']], null, { 0: 'ls' }]) {
        const r = await b.exec(ws.id, cmd as string[]);
        expectErrorShape(r, 400, 'invalid_request');
      }
      const missing = await b.api('POST', `/v1/workspaces/${ws.id}/exec`, { body: {} });
      expectErrorShape(missing, 400, 'invalid_request');
      const timeout = await b.exec(ws.id, ['touch', '/workspace/x'], { timeoutMs: 900_001 });
      expectErrorShape(timeout, 400, 'invalid_request');
    });
  });
});

describe('paths', () => {
  it('path traversal and absolute paths outside /workspace → 400 for GET, PUT and DELETE', async () => {
    await unchanged(async () => {
      for (const path of [
        '../../etc/passwd',
        '/etc/passwd',
        '/workspace/../etc/passwd',
        'a/../../etc/passwd',
      ]) {
        const q = `/v1/workspaces/${ws.id}/files?path=${encodeURIComponent(path)}`;
        const got = await b.api('GET', q);
        expectErrorShape(got, 400, 'invalid_path');
        expect(got.text).not.toContain('root:x:0:0');
        const put = await b.api('PUT', q, {
          body: Buffer.from('evil::0:0::/:/bin/sh\n'),
          headers: { 'content-type': 'application/octet-stream' },
        });
        expectErrorShape(put, 400, 'invalid_path');
        expectErrorShape(await b.api('DELETE', q), 400, 'invalid_path');
      }
      // No path at all, and the root itself cannot be deleted.
      expectErrorShape(await b.api('GET', `/v1/workspaces/${ws.id}/files`), 400, 'invalid_path');
      expectErrorShape(
        await b.api('DELETE', `/v1/workspaces/${ws.id}/files?path=/workspace`),
        400,
        'invalid_path',
      );
    });
    // /etc/passwd inside the container is what the image shipped (snapshot() compared its hash too).
    expect(await b.sh(ws.id, 'grep -c evil /etc/passwd || true')).toBe('0\n');
  });
});

describe('ids, tenants, keys', () => {
  it('unknown id → 404 everywhere', async () => {
    await unchanged(async () => {
      const unknown = 'ws_doesnotexist0000000000000000';
      const calls: [string, string, unknown?][] = [
        ['GET', `/v1/workspaces/${unknown}`],
        ['DELETE', `/v1/workspaces/${unknown}`],
        ['POST', `/v1/workspaces/${unknown}/keepalive`, {}],
        ['POST', `/v1/workspaces/${unknown}/exec`, { cmd: ['true'] }],
        ['POST', `/v1/workspaces/${unknown}/exec/binary`, { cmd: ['true'] }],
        ['POST', `/v1/workspaces/${unknown}/pause`],
        ['GET', `/v1/workspaces/${unknown}/files?path=marker.txt`],
        ['DELETE', `/v1/workspaces/${unknown}/files?path=marker.txt`],
        ['GET', `/v1/workspaces/${encodeURIComponent('../etc')}`],
      ];
      for (const [method, path, body] of calls) {
        expectErrorShape(await b.api(method, path, body === undefined ? {} : { body }), 404, 'not_found');
      }
    });
  });

  it("another tenant's workspace → 404 for GET, exec, files, delete, keepalive; it stays untouched", async () => {
    const asB = { key: b.keys.B };
    await unchanged(async () => {
      const calls: [string, string, unknown?, Record<string, string>?][] = [
        ['GET', `/v1/workspaces/${ws.id}`],
        ['POST', `/v1/workspaces/${ws.id}/exec`, { cmd: ['sh', '-c', 'echo pwned > /workspace/marker.txt'] }],
        ['POST', `/v1/workspaces/${ws.id}/exec/binary`, { cmd: ['cat', '/workspace/marker.txt'] }],
        ['GET', `/v1/workspaces/${ws.id}/files?path=marker.txt`],
        ['DELETE', `/v1/workspaces/${ws.id}/files?path=marker.txt`],
        ['POST', `/v1/workspaces/${ws.id}/keepalive`, { ttlSeconds: 86_400 }],
        ['POST', `/v1/workspaces/${ws.id}/pause`],
        ['DELETE', `/v1/workspaces/${ws.id}`],
      ];
      for (const [method, path, body] of calls) {
        const r = await b.api(method, path, { ...asB, ...(body === undefined ? {} : { body }) });
        expectErrorShape(r, 404, 'not_found');
        expect(r.text).not.toContain('untouched');
      }
      const streamed = await b.api('POST', `/v1/workspaces/${ws.id}/exec`, {
        ...asB,
        body: { cmd: ['sh', '-c', 'echo pwned > /workspace/marker.txt'] },
        headers: { accept: 'text/event-stream' },
      });
      expectErrorShape(streamed, 404, 'not_found');
      const put = await b.api('PUT', `/v1/workspaces/${ws.id}/files?path=marker.txt`, {
        ...asB,
        body: Buffer.from('pwned'),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expectErrorShape(put, 404, 'not_found');
      // Same 404 as an unknown id: the message does not tell "exists, not yours" from "unknown".
      const theirs = await b.api('GET', `/v1/workspaces/${ws.id}`, asB);
      const unknown = await b.api('GET', '/v1/workspaces/ws_doesnotexist0000000000000000', asB);
      expect(theirs.json.error.message).toBe(unknown.json.error.message);
    });
    const mine = await b.api<WorkspaceView>('GET', `/v1/workspaces/${ws.id}`);
    expect(mine.json.status).toBe('ready');
    expect(await b.sh(ws.id, 'cat /workspace/marker.txt')).toBe('untouched\n');
  });

  it('missing or bad key → 401 (before anything else, unknown routes included)', async () => {
    await unchanged(async () => {
      const variants: { key: string | null; headers?: Record<string, string> }[] = [
        { key: null },
        { key: 'wrong-key-0123456789' },
        { key: `${b.keys.A}x` },
        { key: null, headers: { authorization: b.keys.A } }, // no Bearer
        { key: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } },
      ];
      for (const v of variants) {
        const opts = { key: v.key, ...(v.headers ? { headers: v.headers } : {}) };
        expectErrorShape(await b.api('GET', '/v1/workspaces', opts), 401, 'unauthorized');
        expectErrorShape(
          await b.api('POST', '/v1/workspaces', { ...opts, body: { conversationId: uniq('nokey') } }),
          401,
          'unauthorized',
        );
        expectErrorShape(
          await b.api('POST', `/v1/workspaces/${ws.id}/exec`, { ...opts, body: { cmd: ['true'] } }),
          401,
          'unauthorized',
        );
        expectErrorShape(await b.api('DELETE', `/v1/workspaces/${ws.id}`, opts), 401, 'unauthorized');
        expectErrorShape(await b.api('GET', '/v1/no-such-route', opts), 401, 'unauthorized');
      }
    });
    // /health needs no key.
    expect((await b.api('GET', '/health', { key: null })).status).toBe(200);
  });
});

describe('size', () => {
  it('a body over 6 MiB → 413, for a JSON create and for a file PUT', async () => {
    await unchanged(async () => {
      const conversationId = uniq('big');
      const create = await b.api('POST', '/v1/workspaces', {
        body: JSON.stringify({ conversationId, labels: { pad: 'x'.repeat(6 * MiB + 1) } }),
        headers: { 'content-type': 'application/json' },
      });
      expectErrorShape(create, 413, 'payload_too_large');
      const put = await b.api('PUT', `/v1/workspaces/${ws.id}/files?path=too-big.bin`, {
        body: Buffer.alloc(6 * MiB + 1, 7),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expectErrorShape(put, 413, 'payload_too_large');
      const exec = await b.api('POST', `/v1/workspaces/${ws.id}/exec`, {
        body: { cmd: ['touch', '/workspace/too-big'], stdin: 'y'.repeat(6 * MiB) },
      });
      expectErrorShape(exec, 413, 'payload_too_large');
    });
    // Just under the limit is accepted (then removed).
    const under = Buffer.alloc(6 * MiB - 64 * 1024, 1);
    const ok = await b.api('PUT', `/v1/workspaces/${ws.id}/files?path=nearly.bin`, {
      body: under,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(ok.status).toBe(204);
    expect((await b.api('DELETE', `/v1/workspaces/${ws.id}/files?path=nearly.bin`)).status).toBe(204);
  });
});
