import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import type { DynamoWorkspaceStore } from '@berth/aws';
import { DynamoEgressRules, GatewayEgress } from '@berth/aws';
import { freePort, localClientConfig } from '@berth/aws/local';
import { newWorkspaceId } from '@berth/core';
import type { WorkspaceRecord } from '@berth/core';
import { agentPublicKeyText } from '@berth/protocol/agent-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoPolicies } from '../../src/gateway/dynamo-policies.js';
import type { GatewayEnvConfig } from '../../src/gateway/gateway-config.js';
import { loadGatewayConfigFromEnv } from '../../src/gateway/gateway-config.js';
import type { AuditEntry, RunningGateway } from '../../src/index.js';
import { noProxyMetrics, startGateway } from '../../src/index.js';
import { bearer, controlPlaneKeys, egressToken } from '../helpers/gateway.js';
import type { Reply, Upstream } from '../helpers/http.js';
import { rawConnect, readUntilClose, startUpstream, viaProxy } from '../helpers/http.js';
import { TSX_ARGS } from '../helpers/child-proxy.js';
import type { ControlPlaneTable } from '../helpers/control-plane-table.js';
import { readyWorkspace, startControlPlaneTable } from '../helpers/control-plane-table.js';

// The deployed gateway's whole path on real parts: its environment parsed by loadGatewayConfigFromEnv,
// workspaces written by the control plane's DynamoWorkspaceStore and their rules by DynamoEgressRules into
// DynamoDB Local, the gateway reading them through dynamoPolicies, loopback upstreams behind fake names.

const GATEWAY_MAIN = fileURLToPath(new URL('../../src/gateway/main.ts', import.meta.url));
const REAL_KEY = 'sk-ant-api03-the-operators-real-key';
const PLACEHOLDER = 'sk-ant-placeholder-from-the-workspace';
const HOSTS = ['base.test', 'a.test', 'b.test', 'new.test', 'mcp.test', 'echo.test', 'api.anthropic.com'];

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

/** Polls `attempt` until it returns true; resolves with the milliseconds that took. */
async function timeUntil(attempt: () => Promise<boolean>, timeoutMs = 5_000): Promise<number> {
  const started = performance.now();
  while (!(await attempt())) {
    if (performance.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return performance.now() - started;
}

describe('egress gateway on DynamoDB', () => {
  const keys = controlPlaneKeys();
  let table: ControlPlaneTable;
  let store: DynamoWorkspaceStore;
  let rules: DynamoEgressRules;
  let upstream: Upstream;
  let echoServer: Server;
  let echoPort: number;
  let config: GatewayEnvConfig;
  let gateway: RunningGateway;
  let port: number;
  const audit: AuditEntry[] = [];
  let wsA: WorkspaceRecord;
  let wsB: WorkspaceRecord;
  let wsC: WorkspaceRecord;

  const at = (host: string, path = '/') => `http://${host}:${upstream.port}${path}`;
  const token = (ws: WorkspaceRecord | string) =>
    egressToken(keys.privateKey, typeof ws === 'string' ? ws : ws.id);
  const send = (ws: WorkspaceRecord | string, url: string, headers: Record<string, string> = {}) =>
    viaProxy({ port }, url, { headers: { ...bearer(token(ws)), ...headers } });
  const blockedBy = (reply: Reply) => reply.headers['x-berth-proxy-blocked'];
  /** What the upstream received for the one request with this path. */
  const seenAt = (path: string) => {
    const found = upstream.seen.filter((r) => r.url === path);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(async () => {
    table = await startControlPlaneTable('berth-gateway');
    ({ store, rules } = table);

    upstream = await startUpstream((req, res) => res.end(`hello ${req.url}`));
    echoServer = createTcpServer((socket) => socket.once('data', (chunk) => socket.end(chunk)));
    echoPort = await listen(echoServer);

    wsA = readyWorkspace('tenant-a');
    wsB = readyWorkspace('tenant-b');
    wsC = readyWorkspace('tenant-a');
    for (const ws of [wsA, wsB, wsC]) {
      expect(await store.createForConversation(ws, { replaces: null })).toEqual({ ok: true });
    }
    await rules.put(wsA.id, {
      allowDomains: [`a.test:${upstream.port}`, `mcp.test:${upstream.port}`, `echo.test:${echoPort}`],
      headerRules: [{ host: 'mcp.test', headers: { authorization: 'Bearer mcp-secret-of-a' } }],
    });
    await rules.put(wsB.id, {
      allowDomains: [`b.test:${upstream.port}`, `mcp.test:${upstream.port}`],
      headerRules: [{ host: 'mcp.test', headers: { authorization: 'Bearer mcp-secret-of-b' } }],
    });

    config = loadGatewayConfigFromEnv({
      PROXY_LISTEN: '127.0.0.1:0',
      PROXY_TOKEN_PUBLIC_KEY: agentPublicKeyText(keys.publicKey),
      PROXY_POLICY_TABLE: table.tableName,
      PROXY_ALLOW_DOMAINS: `base.test:${upstream.port},api.anthropic.com:${upstream.port}`,
      PROXY_ANTHROPIC_API_KEY: REAL_KEY,
      PROXY_ANTHROPIC_UPSTREAM_SCHEME: 'http',
      PROXY_HEADER_RULES_UPSTREAM_SCHEME: 'http',
      PROXY_ALLOW_LOOPBACK: '1',
      PROXY_TEST_HOSTS: HOSTS.map((host) => `${host}=127.0.0.1`).join(','),
      PROXY_METRICS_INTERVAL_MS: '60000',
    });
    gateway = await startGateway(config, {
      policies: dynamoPolicies(rules, config.basePolicy, config),
      metrics: noProxyMetrics,
      audit: { record: (entry) => audit.push(entry) },
    });
    port = gateway.address.kind === 'tcp' ? gateway.address.port : 0;
  });

  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await new Promise((resolve) => echoServer?.close(resolve));
    await table?.stop();
  });

  it("applies each workspace's own rules to its own requests only, interleaved", async () => {
    const cases: [WorkspaceRecord, string, number][] = [];
    for (let round = 0; round < 5; round++) {
      cases.push(
        [wsA, 'a.test', 200],
        [wsB, 'a.test', 403],
        [wsB, 'b.test', 200],
        [wsA, 'b.test', 403],
        [wsC, 'a.test', 403],
        [wsC, 'b.test', 403],
        [wsA, 'base.test', 200],
        [wsB, 'base.test', 200],
        [wsC, 'base.test', 200],
      );
    }
    const replies = await Promise.all(
      cases.map(([ws, host], i) => send(ws, at(host, `/mix-${i}`)).then((reply) => ({ reply, ws, host }))),
    );
    replies.forEach(({ reply, ws, host }, i) => {
      const expected = cases[i]![2];
      expect({ ws: ws.id, host, status: reply.status }).toEqual({ ws: ws.id, host, status: expected });
      if (expected === 403) expect(blockedBy(reply)).toBe('domain_not_allowed');
    });
    // The audit names the workspace and the tenant the item holds.
    const lineOf = (i: number) => audit.find((e) => e.path === `/mix-${i}`);
    expect(lineOf(0)).toMatchObject({ workspaceId: wsA.id, tenantId: 'tenant-a', status: 200 });
    expect(lineOf(2)).toMatchObject({ workspaceId: wsB.id, tenantId: 'tenant-b', status: 200 });
  });

  it("injects a workspace's header rules for that workspace only, interleaved", async () => {
    const who = [wsA, wsB, wsA, wsB, wsA, wsB];
    const replies = await Promise.all(who.map((ws, i) => send(ws, at('mcp.test', `/mcp-${i}`))));
    replies.forEach((reply) => expect(reply.status).toBe(200));
    who.forEach((ws, i) => {
      const secret = ws === wsA ? 'Bearer mcp-secret-of-a' : 'Bearer mcp-secret-of-b';
      expect(seenAt(`/mcp-${i}`).headers.authorization).toBe(secret);
    });
    // A workspace without rules neither reaches the host nor gets anyone's header.
    const reply = await send(wsC, at('mcp.test', '/mcp-c'));
    expect(reply.status).toBe(403);
    expect(upstream.seen.some((r) => r.url === '/mcp-c')).toBe(false);
  });

  it("injects the workspace's header rules inside a CONNECT tunnel too", async () => {
    const tunnel = await rawConnect(port, `mcp.test:${upstream.port}`, bearer(token(wsB)));
    expect(tunnel.status).toBe(200);
    const closed = readUntilClose(tunnel.socket);
    tunnel.socket.write('GET /mcp-tunnel HTTP/1.1\r\nHost: mcp.test\r\nConnection: close\r\n\r\n');
    expect((await closed).toString()).toContain('hello /mcp-tunnel');
    expect(seenAt('/mcp-tunnel').headers.authorization).toBe('Bearer mcp-secret-of-b');
  });

  it("puts the operator's Anthropic key in at the gateway, over plain HTTP and CONNECT", async () => {
    const reply = await send(wsC, at('api.anthropic.com', '/v1/messages-http'), { 'x-api-key': PLACEHOLDER });
    expect(reply.status).toBe(200);
    expect(seenAt('/v1/messages-http').headers['x-api-key']).toBe(REAL_KEY);

    const tunnel = await rawConnect(port, `api.anthropic.com:${upstream.port}`, bearer(token(wsA)));
    expect(tunnel.status).toBe(200);
    const closed = readUntilClose(tunnel.socket);
    tunnel.socket.write(
      `GET /v1/messages-tunnel HTTP/1.1\r\nHost: api.anthropic.com\r\nx-api-key: ${PLACEHOLDER}\r\nConnection: close\r\n\r\n`,
    );
    await closed;
    expect(seenAt('/v1/messages-tunnel').headers['x-api-key']).toBe(REAL_KEY);
  });

  it("opens CONNECT tunnels by the workspace's own allowlist", async () => {
    const open = await rawConnect(port, `echo.test:${echoPort}`, bearer(token(wsA)));
    expect(open.status).toBe(200);
    const echoed = readUntilClose(open.socket);
    open.socket.write('ping');
    expect((await echoed).toString()).toBe('ping');

    for (const ws of [wsB, wsC]) {
      const refused = await rawConnect(port, `echo.test:${echoPort}`, bearer(token(ws)));
      expect(refused.status).toBe(403);
      expect(refused.head).toContain('domain_not_allowed');
      refused.socket.destroy();
    }
  });

  it('puts new rules in force within 2 s of the write', async () => {
    const reachNew = () => send(wsB, at('new.test', '/new'));
    expect((await reachNew()).status).toBe(403); // and now the old answer is cached
    await rules.put(wsB.id, {
      allowDomains: [`b.test:${upstream.port}`, `mcp.test:${upstream.port}`, `new.test:${upstream.port}`],
    });
    const elapsed = await timeUntil(async () => (await reachNew()).status === 200);
    expect(elapsed).toBeLessThan(2_000);
    // The put replaced the allowlist only: B's header rule is still in force, and A's rules are unchanged.
    expect((await send(wsB, at('mcp.test', '/mcp-after-put'))).status).toBe(200);
    expect(seenAt('/mcp-after-put').headers.authorization).toBe('Bearer mcp-secret-of-b');
    expect((await send(wsA, at('new.test'))).status).toBe(403);
  });

  it("PUT /egress's controller answers only once the rules are in force: the next request obeys them, no polling", async () => {
    const egress = new GatewayEgress({ rules, signingKey: keys.privateKey });
    for (const round of [1, 2, 3]) {
      const path = `/applied-${round}`;
      const allowed = round % 2 === 1;
      // Cached first: the gateway holds the answer from before the change.
      expect((await send(wsA, at('new.test', `${path}-before`))).status).toBe(allowed ? 403 : 200);
      const started = Date.now();
      await egress.apply(wsA, {
        allowDomains: [`a.test:${upstream.port}`, ...(allowed ? [`new.test:${upstream.port}`] : [])],
      });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect((await send(wsA, at('new.test', path))).status).toBe(allowed ? 200 : 403);
    }
  });

  it('refuses an ended workspace 403 workspace_unknown within about 1 s, on HTTP and CONNECT', async () => {
    const ws = readyWorkspace('tenant-c');
    expect(await store.createForConversation(ws, { replaces: null })).toEqual({ ok: true });
    expect((await send(ws, at('base.test'))).status).toBe(200);
    await store.update(ws.id, ws.version, { status: 'stopped', terminationReason: 'deleted' });
    const elapsed = await timeUntil(async () => (await send(ws, at('base.test'))).status === 403);
    expect(elapsed).toBeLessThan(1_500);
    const reply = await send(ws, at('base.test'));
    expect(blockedBy(reply)).toBe('workspace_unknown');
    const tunnel = await rawConnect(port, `echo.test:${echoPort}`, bearer(token(ws)));
    expect(tunnel.status).toBe(403);
    expect(tunnel.head).toContain('workspace_unknown');
    tunnel.socket.destroy();
  });

  it('refuses a workspace the table does not hold 403 workspace_unknown', async () => {
    const reply = await send(newWorkspaceId(), at('base.test'));
    expect(reply.status).toBe(403);
    expect(blockedBy(reply)).toBe('workspace_unknown');
  });

  it('refuses an expired credential 407 before reading any policy', async () => {
    const expired = egressToken(keys.privateKey, wsA.id, {
      issuedAt: Math.floor(Date.now() / 1000) - 3_600,
      lifetimeSeconds: 600,
    });
    const reply = await viaProxy({ port }, at('a.test'), { headers: bearer(expired) });
    expect(reply.status).toBe(407);
    expect(blockedBy(reply)).toBe('credential_expired');
    const tunnel = await rawConnect(port, `echo.test:${echoPort}`, bearer(expired));
    expect(tunnel.status).toBe(407);
    tunnel.socket.destroy();
  });

  it('runs as its own process (gateway/main.ts): DynamoDB from the SDK environment, EMF as its own service', async () => {
    const child = spawn(process.execPath, [...TSX_ARGS, GATEWAY_MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
        PROXY_LISTEN: '127.0.0.1:0',
        PROXY_TOKEN_PUBLIC_KEY: agentPublicKeyText(keys.publicKey),
        PROXY_POLICY_TABLE: config.policyTable,
        PROXY_ALLOW_DOMAINS: `base.test:${upstream.port}`,
        PROXY_ANTHROPIC_API_KEY: REAL_KEY,
        PROXY_ALLOW_LOOPBACK: '1',
        PROXY_TEST_HOSTS: HOSTS.map((host) => `${host}=127.0.0.1`).join(','),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lines = () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    try {
      await timeUntil(async () => lines().some((l) => l.message === 'gateway listening'), 20_000).catch(
        () => {
          throw new Error(`the gateway did not start: ${stderr}`);
        },
      );
      const started = lines().find((l) => l.message === 'gateway listening')!;
      expect(started).toMatchObject({
        service: 'berth-egress-gateway',
        policyTable: config.policyTable,
        policyTtlMs: 1000,
        allowDomains: [`base.test:${upstream.port}`],
        anthropicHosts: ['api.anthropic.com'],
      });
      const childPort = Number(String(started.listen).split(':').pop());
      const via = (ws: WorkspaceRecord, host: string) =>
        viaProxy({ port: childPort }, at(host), { headers: bearer(token(ws)) });
      expect((await via(wsA, 'a.test')).status).toBe(200);
      expect((await via(wsB, 'a.test')).status).toBe(403);
      expect((await via(wsC, 'base.test')).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // Closing flushes the metrics: one EMF line in namespace Berth, service berth-egress-gateway.
    const emf = lines().find((l) => '_aws' in l) as
      | { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }; [k: string]: unknown }
      | undefined;
    expect(emf?._aws.CloudWatchMetrics[0]?.Namespace).toBe('Berth');
    expect(emf?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(emf).toMatchObject({
      service: 'berth-egress-gateway',
      requests: 3,
      blocked: 1,
      upstreamErrors: 0,
    });
    expect(stdout + stderr).not.toContain(REAL_KEY);
  });

  describe('with DynamoDB unreachable', () => {
    let down: RunningGateway;
    let downPort: number;

    beforeAll(async () => {
      // A port nothing listens on: every read is refused at once (and retried by the SDK).
      const closed = `http://127.0.0.1:${await freePort()}`;
      const unreachable = new DynamoEgressRules({
        tableName: config.policyTable,
        clientConfig: localClientConfig(closed),
      });
      down = await startGateway(config, {
        policies: dynamoPolicies(unreachable, config.basePolicy, config),
        metrics: noProxyMetrics,
        audit: { record: () => undefined },
      });
      downPort = down.address.kind === 'tcp' ? down.address.port : 0;
    });
    afterAll(() => down?.close());

    it('answers 503 policy_unavailable quickly, on HTTP and CONNECT', async () => {
      const started = performance.now();
      const reply = await viaProxy({ port: downPort }, at('base.test'), { headers: bearer(token(wsA)) });
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe('1');
      expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'policy_unavailable' } });
      const tunnel = await rawConnect(downPort, `echo.test:${echoPort}`, bearer(token(wsA)));
      expect(tunnel.status).toBe(503);
      expect(tunnel.head).toContain('policy_unavailable');
      (tunnel.socket as Socket).destroy();
      expect(performance.now() - started).toBeLessThan(5_000);
    });
  });
});
