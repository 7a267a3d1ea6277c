import { beforeAll, describe, expect, it } from 'vitest';
import { uniq, useLocalBerth } from '../support/local-berth.js';

// A workspace runs untrusted code: it must not be able to read the secret that authenticates the control
// plane to its agent, nor reach another workspace's agent or files. Every probe runs inside the workspace
// through the public exec API, as an agent's commands would.
const b = useLocalBerth();
let id: string;
let otherId: string;
let token: string;
let otherToken: string;

beforeAll(async () => {
  id = (await b.createWorkspace(uniq('cred'))).json.id;
  otherId = (await b.createWorkspace(uniq('cred-other'))).json.id;
  const now = Date.now();
  token = (await b.host.deps.store.get(id, { now }))!.agentToken;
  otherToken = (await b.host.deps.store.get(otherId, { now }))!.agentToken;
  expect(token.length).toBeGreaterThanOrEqual(16);
});

describe('the agent token', () => {
  it('is in no process environment of the workspace', async () => {
    // Every readable environ, including PID 1 (init) and the agent's own process.
    const environ = await b.sh(
      id,
      'for f in /proc/[0-9]*/environ; do tr "\\0" "\\n" < "$f" 2>/dev/null; done; env',
    );
    expect(environ.length).toBeGreaterThan(0);
    expect(environ).not.toContain(token);
    expect(environ).not.toMatch(/^AGENT_TOKEN=/m);
  });

  it('is not left on disk for the workspace to read', async () => {
    const listing = await b.sh(id, 'ls -la /run/berth/agent; cat /run/berth/agent/agent-token 2>&1 || true');
    expect(listing).not.toContain(token);
    expect(listing).not.toContain('agent-token\n');
    const grep = await b.exec(id, [
      'sh',
      '-c',
      `grep -rl "${token}" /run /tmp /home /workspace /etc 2>/dev/null; true`,
    ]);
    expect(grep.json.stdout).toBe('');
  });

  it('is not in the container configuration the engine reports', async () => {
    const record = await b.host.deps.store.get(id, { now: Date.now() });
    const info = await b.docker.getContainer(record!.taskRef!).inspect();
    expect(JSON.stringify(info.Config.Env)).not.toContain(token);
    expect(JSON.stringify(info.Config.Labels)).not.toContain(token);
  });

  it('is demanded by the agent: a request from inside without it is refused', async () => {
    // The agent socket is reachable from inside the workspace (it lives in the shared agent dir): without the
    // token it answers 401 to everything but /health.
    const script = `
      const http = require('node:http');
      const req = http.request({ socketPath: '/run/berth/agent/agent.sock', path: '/exec', method: 'POST',
        headers: { 'content-type': 'application/json' } }, (res) => { console.log(res.statusCode); });
      req.on('error', (e) => console.log('error', e.code));
      req.end(JSON.stringify({ cmd: ['id'] }));`;
    const r = await b.exec(id, ['node', '-e', script]);
    expect(r.json.stdout.trim()).toBe('401');
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
    expect(r.json.stdout).not.toContain(otherToken);
  });

  it("cannot be used with this tenant's key through the API", async () => {
    const r = await b.exec(otherId, ['id'], { key: b.keys.B });
    expect(r.status).toBe(404);
    expect(r.json.error!.code).toBe('not_found');
  });
});
