import { randomInt } from 'node:crypto';
import { GatewayEgress } from '@berth/aws';
import type { WorkspaceRecord } from '@berth/core';
import { SIDECAR_ADMIN } from '@berth/protocol';
import { agentPublicKeyText } from '@berth/protocol/agent-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoPolicies } from '../../src/gateway/dynamo-policies.js';
import { loadGatewayConfigFromEnv } from '../../src/gateway/gateway-config.js';
import type { AuditEntry, RunningGateway } from '../../src/index.js';
import { noProxyMetrics, startGateway } from '../../src/index.js';
import { loadRelayConfigFromEnv } from '../../src/relay/relay-config.js';
import { startRelay, type RunningRelay } from '../../src/relay/relay.js';
import type { ControlPlaneTable } from '../helpers/control-plane-table.js';
import { readyWorkspace, startControlPlaneTable } from '../helpers/control-plane-table.js';
import { controlPlaneKeys } from '../helpers/gateway.js';
import type { Upstream } from '../helpers/http.js';
import { startUpstream, viaProxy } from '../helpers/http.js';
import { verifySigV4 } from '../helpers/sigv4-verify.js';

// The deployed egress path end to end, on real parts over loopback: a workspace's request → its task's relay
// (which holds the proxy credential the control plane handed it with GatewayEgress.admit) → the shared
// gateway (policy read from DynamoDB Local, Bedrock signed with the gateway's own AWS credentials) → a
// recording upstream playing Bedrock. The workspace side holds no credential of any kind.

const REGION = 'us-east-1';
const BEDROCK = `bedrock-runtime.${REGION}.amazonaws.com`;
const GATEWAY_CREDENTIALS = {
  accessKeyId: 'AKIDGATEWAYTASKROLE01',
  secretAccessKey: 'gateway/task/role/secret/0123456789abcdef',
  sessionToken: 'gateway-task-role-session',
};

describe('ECS egress path: workspace → relay → gateway → upstream', () => {
  const keys = controlPlaneKeys();
  let table: ControlPlaneTable;
  let upstream: Upstream;
  let gateway: RunningGateway;
  let relay: RunningRelay;
  let relayPort: number;
  let egress: GatewayEgress;
  let ws: WorkspaceRecord;
  const audit: AuditEntry[] = [];
  const at = (host: string, path: string) => `http://${host}:${upstream.port}${path}`;
  const fromWorkspace = (url: string, init: Parameters<typeof viaProxy>[2] = {}) =>
    viaProxy({ port: relayPort }, url, init);

  beforeAll(async () => {
    table = await startControlPlaneTable('berth-ecs-path');
    upstream = await startUpstream((req, res) => res.end(`{"seen":"${req.url}"}`));

    const config = loadGatewayConfigFromEnv({
      PROXY_LISTEN: '127.0.0.1:0',
      PROXY_TOKEN_PUBLIC_KEY: agentPublicKeyText(keys.publicKey),
      PROXY_POLICY_TABLE: table.tableName,
      PROXY_BEDROCK_REGION: REGION,
      PROXY_BEDROCK_UPSTREAM_SCHEME: 'http',
      PROXY_HEADER_RULES_UPSTREAM_SCHEME: 'http',
      PROXY_ALLOW_DOMAINS: `${BEDROCK}:${upstream.port}`,
      PROXY_ALLOW_LOOPBACK: '1',
      PROXY_TEST_HOSTS: [BEDROCK, 'tools.test'].map((h) => `${h}=127.0.0.1`).join(','),
      PROXY_METRICS_INTERVAL_MS: '60000',
    });
    gateway = await startGateway(config, {
      policies: dynamoPolicies(table.rules, config.basePolicy, config),
      credentials: async () => GATEWAY_CREDENTIALS,
      metrics: noProxyMetrics,
      audit: { record: (entry) => audit.push(entry) },
    });

    // The relay's admin API answers on SIDECAR_ADMIN.port of the task's address, as GatewayEgress calls it:
    // a random loopback address stands in for the task's ENI, so parallel test files never collide.
    const taskIp = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    ws = readyWorkspace('tenant-ecs', {
      taskRef: 'arn:aws:ecs:us-east-1:123456789012:task/berth/abc',
      endpoint: { kind: 'http', host: taskIp, port: 9000 },
    });
    expect(await table.store.createForConversation(ws, { replaces: null })).toEqual({ ok: true });
    const gatewayPort = gateway.address.kind === 'tcp' ? gateway.address.port : 0;
    relay = await startRelay(
      loadRelayConfigFromEnv({
        PROXY_LISTEN: '127.0.0.1:0',
        PROXY_ADMIN_LISTEN: `${taskIp}:${SIDECAR_ADMIN.port}`,
        PROXY_WORKSPACE_ID: ws.id,
        PROXY_TOKEN_PUBLIC_KEY: agentPublicKeyText(keys.publicKey),
        PROXY_GATEWAY: `127.0.0.1:${gatewayPort}`,
      }),
    );
    relayPort = relay.address.kind === 'tcp' ? relay.address.port : 0;
    egress = new GatewayEgress({ rules: table.rules, signingKey: keys.privateKey });
  });

  afterAll(async () => {
    await relay?.close();
    await gateway?.close();
    await upstream?.close();
    await table?.stop();
  });

  it('refuses to relay before the control plane admitted the workspace', async () => {
    const reply = await fromWorkspace(at(BEDROCK, '/model/m:0/invoke'), { method: 'POST', body: '{}' });
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body).error.code).toBe('egress_not_ready');
    expect(upstream.seen).toHaveLength(0);
  });

  it("once admitted, Bedrock calls are signed at the gateway with the gateway's own credentials", async () => {
    await egress.admit(ws);
    const path = '/model/anthropic.claude-sonnet-4-5-20250929-v1:0/invoke';
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 8, messages: [] });
    const reply = await fromWorkspace(at(BEDROCK, path), {
      method: 'POST',
      // What a hostile workspace might try: its own signature and somebody's token. Both are dropped.
      headers: {
        'content-type': 'application/json',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDFORGED/20200101/us-east-1/bedrock/aws4_request',
        'proxy-authorization': 'Bearer bat1.forged.forged',
      },
      body,
    });
    expect(reply.status).toBe(200);
    const seen = upstream.seen.at(-1)!;
    expect(seen.url).toBe(path);
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers['x-amz-security-token']).toBe(GATEWAY_CREDENTIALS.sessionToken);
    const check = verifySigV4(seen, GATEWAY_CREDENTIALS, REGION, 'bedrock');
    expect(check.accessKeyId).toBe(GATEWAY_CREDENTIALS.accessKeyId);
    expect(check.valid).toBe(true);
    const line = audit.findLast((e) => e.path?.startsWith('/model/'));
    expect(line).toMatchObject({ workspaceId: ws.id, tenantId: 'tenant-ecs', injected: ['bedrock'] });
  });

  it("PUT /egress's controller changes what the relay's next request may reach", async () => {
    const tools = at('tools.test', '/mcp');
    expect((await fromWorkspace(tools)).status).toBe(403);
    await egress.apply(ws, {
      allowDomains: [`tools.test:${upstream.port}`],
      headerRules: [{ host: 'tools.test', headers: { authorization: 'Bearer mcp-token-of-this-tenant' } }],
    });
    expect((await fromWorkspace(tools)).status).toBe(200);
    expect(upstream.seen.at(-1)?.headers['authorization']).toBe('Bearer mcp-token-of-this-tenant');
  });

  it('stops relaying for a workspace that ended, though its credential has hours left', async () => {
    const current = (await table.store.get(ws.id, { now: Date.now(), includeExpired: true }))!;
    await table.store.update(ws.id, current.version, { status: 'stopped', terminationReason: 'deleted' });
    const started = Date.now();
    let reply = await fromWorkspace(at(BEDROCK, '/model/m:0/invoke'), { method: 'POST', body: '{}' });
    while (reply.status === 200 && Date.now() - started < 3_000) {
      await new Promise((r) => setTimeout(r, 100));
      reply = await fromWorkspace(at(BEDROCK, '/model/m:0/invoke'), { method: 'POST', body: '{}' });
    }
    expect(reply.status).toBe(403);
    expect(reply.headers['x-berth-proxy-blocked']).toBe('workspace_unknown');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
