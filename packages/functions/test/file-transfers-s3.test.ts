import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '@berth/aws';
import { localClientConfig } from '@berth/aws/local';
import { HttpWorkspaceAgentClient, type ServiceDeps } from '@berth/core';
import { startAgent, type RunningAgent } from '@berth/workspace-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedWorkspace, TEST_AGENT_KEYS } from '../../core/test/support/make-deps.js';
import { freshBucket } from '../../aws/test/support/fauxqs.js';
import { makeApi } from './support/app.js';

/**
 * Large files end to end, locally: the API handler (as behind API Gateway), S3BlobStore on the S3 emulator
 * (fauxqs) and a real workspace agent in-process, over its Unix socket. The bytes go client → presigned URL →
 * object storage → agent, never through the API.
 */

const MiB = 1024 * 1024;
const WS_ID = 'ws_transfers0123456789';
let client: S3Client;
let emulator: { close(): Promise<unknown> } | undefined;
let dir: string;
let agent: RunningAgent;
const agentClient = new HttpWorkspaceAgentClient();

/**
 * fauxqs (the S3 emulator of the other suites) reads a body whole and refuses one past 11 MiB, a limit made
 * for multipart parts; a single presigned PUT of 50 MiB needs more. This suite runs its own instance, S3 only,
 * with the limit raised, on loopback.
 */
async function startS3Emulator(bodyLimit: number): Promise<string> {
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  await app.listen({ port: 0, host: '127.0.0.1' });
  emulator = app;
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('fauxqs is not listening on TCP');
  return `http://127.0.0.1:${address.port}`;
}

beforeAll(async () => {
  const endpoint = await startS3Emulator(64 * MiB);
  client = new S3Client({ ...localClientConfig(endpoint), forcePathStyle: true });
  dir = await mkdtemp(join(tmpdir(), 'berth-transfers-'));
  await mkdir(join(dir, 'ws'));
  agent = await startAgent({
    listenMode: 'uds',
    socketPath: join(dir, 'agent.sock'),
    host: '127.0.0.1',
    port: 0,
    workspaceId: WS_ID,
    tokenPublicKey: TEST_AGENT_KEYS.publicKey,
    workspaceDir: join(dir, 'ws'),
    childHome: join(dir, 'home'),
    proxyPort: 0,
    maxOutputBytes: MiB,
    anthropicApiKey: 'placeholder',
    log: () => {},
  });
});

afterAll(async () => {
  agentClient.close();
  await agent?.close();
  client?.destroy();
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function apiOnS3() {
  const api = makeApi();
  const deps = api.deps as ServiceDeps;
  deps.blobs = new S3BlobStore({ bucket: await freshBucket(client), client });
  deps.workspaceAgent = agentClient;
  // The agent takes tokens for its own workspace only: each test's fresh store seeds that one id.
  const ws = seedWorkspace(api.deps, {
    id: WS_ID,
    tenantId: 'tenantA',
    endpoint: { kind: 'uds', socketPath: join(dir, 'agent.sock') },
  });
  return { api, id: ws.id, blobs: deps.blobs };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('presigned transfers against the S3 emulator and a real agent', () => {
  it('a 50 MiB upload reaches the workspace byte-exact, and comes back the same way', async () => {
    const { api, id, blobs } = await apiOnS3();
    const bytes = randomBytes(50 * MiB);

    const up = await api.call('POST', `/v1/workspaces/${id}/files/uploads`, {
      body: { path: 'inbox/big.bin', size: bytes.length },
    });
    expect(up.statusCode).toBe(201);
    const put = await fetch(up.json.url, { method: 'PUT', body: bytes, headers: up.json.headers });
    expect(put.status).toBe(200);

    const done = await api.call('POST', `/v1/workspaces/${id}/files/uploads/${up.json.uploadId}/complete`);
    expect(done.statusCode).toBe(204);
    const landed = await readFile(join(dir, 'ws', 'inbox', 'big.bin'));
    expect(landed.length).toBe(bytes.length);
    expect(sha(landed)).toBe(sha(bytes));
    expect(await blobs.list('transfers/')).toEqual([]); // staged bytes and ticket are gone

    const down = await api.call('POST', `/v1/workspaces/${id}/files/downloads`, {
      body: { path: '/workspace/inbox/big.bin' },
    });
    expect(down.statusCode).toBe(201);
    expect(down.json.size).toBe(bytes.length);
    const got = Buffer.from(await (await fetch(down.json.url)).arrayBuffer());
    expect(sha(got)).toBe(sha(bytes));
  }, 120_000);

  it('a file name past 100 bytes (PAX header) overwrites an existing file', async () => {
    const { api, id } = await apiOnS3();
    const name = `${'long-name-'.repeat(15)}é.txt`;
    for (const text of ['first version', 'second']) {
      const body = Buffer.from(text);
      const up = await api.call('POST', `/v1/workspaces/${id}/files/uploads`, {
        body: { path: name, size: body.length },
      });
      await fetch(up.json.url, { method: 'PUT', body });
      const done = await api.call('POST', `/v1/workspaces/${id}/files/uploads/${up.json.uploadId}/complete`);
      expect(done.statusCode).toBe(204);
    }
    expect((await readFile(join(dir, 'ws', name))).toString()).toBe('second');
  });
});
