import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { signAgentToken } from '@berth/protocol/agent-token';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENT_SIGNING_KEY_FILE } from '../../local-docker/src/host/agent-signing-key.js';
import { uniq, useLocalBerth } from '../support/local-berth.js';

// A workspace runs untrusted code, and so is its agent (same uid: its memory is readable from inside). The
// control plane proves itself to an agent with short-lived tokens signed for that workspace alone: nothing
// secret reaches a workspace, and what a workspace can see (its own tokens) opens no other. Every probe runs
// inside the workspace through the public exec API, as an agent's commands would.
const b = useLocalBerth();
let id: string;
let otherId: string;
let signingKeyPem: string;

beforeAll(async () => {
  id = (await b.createWorkspace(uniq('cred'))).json.id;
  otherId = (await b.createWorkspace(uniq('cred-other'))).json.id;
  signingKeyPem = await readFile(path.join(b.stateDir, AGENT_SIGNING_KEY_FILE), 'utf8');
  expect(signingKeyPem).toMatch(/BEGIN PRIVATE KEY/);
});

/** Runs a request to this workspace's own agent socket from inside it, with `authorization`; its status. */
async function callOwnAgentFromInside(authorization: string | null): Promise<string> {
  const script = `
    const http = require('node:http');
    const headers = { 'content-type': 'application/json' };
    const auth = process.argv[1];
    if (auth) headers.authorization = auth;
    const req = http.request({ socketPath: '/run/berth/agent/agent.sock', path: '/exec', method: 'POST', headers },
      (res) => { console.log(res.statusCode); });
    req.on('error', (e) => console.log('error', e.code));
    req.end(JSON.stringify({ cmd: ['id'] }));`;
  const r = await b.exec(id, ['node', '-e', script, authorization ?? '']);
  return r.json.stdout.trim();
}

/** The body of the PEM: what would show if the key leaked in any encoding a grep would match. */
const keyBody = () => signingKeyPem.split('\n').filter((l) => l && !l.startsWith('-----'))[0]!;

describe('agent tokens', () => {
  it('the signing key is in no process environment, file or engine configuration of the workspace', async () => {
    const environ = await b.sh(
      id,
      'for f in /proc/[0-9]*/environ; do tr "\\0" "\\n" < "$f" 2>/dev/null; done; env',
    );
    expect(environ.length).toBeGreaterThan(0);
    expect(environ).not.toContain(keyBody());
    // What the agent does get: its own id and the public key, neither secret.
    expect(environ).toMatch(new RegExp(`^AGENT_WORKSPACE_ID=${id}$`, 'm'));
    expect(environ).not.toMatch(/^AGENT_TOKEN=/m);
    const grep = await b.exec(id, [
      'sh',
      '-c',
      `grep -rlF "${keyBody()}" /run /tmp /home /workspace /etc 2>/dev/null; true`,
    ]);
    expect(grep.json.stdout).toBe('');
    const record = await b.host.deps.store.get(id, { now: Date.now() });
    const info = await b.docker.getContainer(record!.taskRef!).inspect();
    expect(JSON.stringify(info)).not.toContain(keyBody());
    // Nor does the record keep any agent secret.
    expect(JSON.stringify(record)).not.toMatch(/agentToken|bat1\./);
  });

  it("this workspace's agent refuses: no token, another workspace's token, an expired one, one signed by another key", async () => {
    expect(await callOwnAgentFromInside(null)).toBe('401');
    const forOther = b.host.deps.agentTokens.tokenFor(otherId);
    expect(await callOwnAgentFromInside(`Bearer ${forOther}`)).toBe('401');
    const now = Math.floor(Date.now() / 1000);
    const hostKey = (await import('node:crypto')).createPrivateKey(signingKeyPem);
    const expired = signAgentToken(hostKey, { workspaceId: id, issuedAt: now - 900, expiresAt: now - 300 });
    expect(await callOwnAgentFromInside(`Bearer ${expired}`)).toBe('401');
    const stranger = generateKeyPairSync('ed25519').privateKey;
    const forged = signAgentToken(stranger, { workspaceId: id, issuedAt: now, expiresAt: now + 300 });
    expect(await callOwnAgentFromInside(`Bearer ${forged}`)).toBe('401');
    // The control plane's own token for this workspace works (what the agent would see anyway).
    expect(await callOwnAgentFromInside(`Bearer ${b.host.deps.agentTokens.tokenFor(id)}`)).toBe('200');
  });
});

describe('another workspace', () => {
  it('cannot be reached from inside: no path to its agent socket or its files', async () => {
    const r = await b.exec(id, [
      'sh',
      '-c',
      `ls / /run /run/berth /run/berth/agent /run/berth/host; find / -path /proc -prune -o -name '*${otherId}*' -print 2>/dev/null; true`,
    ]);
    expect(r.status).toBe(200);
    expect(r.json.stdout).not.toContain(otherId);
    const found = await b.exec(id, [
      'sh',
      '-c',
      'find / -path /proc -prune -o -path /sys -prune -o -name agent.sock -print 2>/dev/null; true',
    ]);
    expect(found.json.stdout.trim().split('\n')).toEqual(['/run/berth/agent/agent.sock']);
  });

  it("cannot be used with this tenant's key through the API", async () => {
    const r = await b.exec(otherId, ['id'], { key: b.keys.B });
    expect(r.status).toBe(404);
    expect(r.json.error!.code).toBe('not_found');
  });
});
