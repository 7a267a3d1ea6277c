import { describe, expect, it } from 'vitest';
import { CONTAINER_AGENT_SOCKET } from '../../local-docker/src/runtime/paths.js';
import { sleep, uniq, useLocalBerth, type WorkspaceView } from '../support/local-berth.js';
import { execIn } from './exec-in.js';

// The workspace and its agent are untrusted. A workspace that replaces its agent with its own server, which
// claims on /health to be running commands for ever, must still expire at its lease: the control plane
// extends leases only for what it sees itself (its own requests, streams and followed commands).
const LEASE_SECONDS = 20;
/** The real agent closes idle keep-alive connections after 5 s (Node's default); then the host dials the fake. */
const POOLED_SOCKETS_GONE_MS = 6_000;
/** How soon after its lease the sweep (every 300 ms) must end the workspace. */
const EXPIRY_WITHIN_MS = 5_000;
const b = useLocalBerth({ sweepIntervalMs: 300, config: { ttl: { minSeconds: 1 } } });

/** Renames the real agent's socket aside and serves a fake agent on its path that always claims to be busy. */
const FAKE_AGENT = `
const fs = require('fs');
const http = require('http');
const sock = ${JSON.stringify(CONTAINER_AGENT_SOCKET)};
fs.renameSync(sock, sock + '.real');
http
  .createServer((req, res) => {
    const line = { method: req.method, url: req.url, token: Boolean(req.headers.authorization) };
    fs.appendFileSync('/tmp/fake-agent.log', JSON.stringify(line) + '\\n');
    res.setHeader('content-type', 'application/json');
    if (req.url === '/health') return res.end(JSON.stringify({ ok: true, status: 'ok', runningCommands: 1 }));
    res.statusCode = 404;
    res.end(JSON.stringify({ error: { code: 'not_found', message: 'fake agent' } }));
  })
  .listen(sock, () => fs.writeFileSync('/tmp/fake-agent.ready', 'up'));
`;

/** Starts the fake from inside the container (as the workspace's uid), detached so it outlives the exec. */
const START_FAKE = `
require('fs').writeFileSync('/tmp/fake-agent.js', ${JSON.stringify(FAKE_AGENT)});
require('child_process').spawn(process.execPath, ['/tmp/fake-agent.js'], { detached: true, stdio: 'ignore' }).unref();
`;

/** Asks whatever listens on the agent socket for /health, from inside the container. */
const ASK_HEALTH = `
require('http').get({ socketPath: ${JSON.stringify(CONTAINER_AGENT_SOCKET)}, path: '/health' }, (res) => {
  let body = '';
  res.on('data', (c) => (body += c));
  res.on('end', () => console.log(body));
});
`;

describe('a workspace that fakes its agent', () => {
  it('expires at its lease, whatever its fake /health claims', async () => {
    const ws = (await b.createWorkspace(uniq('fake-agent'), { ttlSeconds: LEASE_SECONDS })).json;
    expect(ws.status).toBe('ready');
    const [container] = await b.containersOf(ws.id);
    const taskRef = container!.Id;

    const started = await execIn(b.docker, taskRef, ['node', '-e', START_FAKE]);
    expect(started.exitCode, started.stderr).toBe(0);
    await b.until(
      async () => (await execIn(b.docker, taskRef, ['cat', '/tmp/fake-agent.ready'])).stdout === 'up',
      5_000,
      'the fake agent to listen',
    );
    // The fake is what answers on the agent's socket now, and it claims a running command.
    const health = JSON.parse((await execIn(b.docker, taskRef, ['node', '-e', ASK_HEALTH])).stdout) as {
      runningCommands: number;
    };
    expect(health.runningCommands).toBe(1);
    // And the control plane reaches the fake: an exec through the API lands there (and is refused by it).
    await sleep(POOLED_SOCKETS_GONE_MS);
    const exec = await b.exec(ws.id, ['true']);
    expect(exec.status).toBeGreaterThanOrEqual(400);
    expect(exec.status).toBeLessThan(500);
    const log = (await execIn(b.docker, taskRef, ['cat', '/tmp/fake-agent.log'])).stdout;
    expect(log).toContain('"url":"/exec"');
    // That request was activity the control plane saw: the lease is what the store says after it.
    const leaseEnd = Date.parse(
      (await b.api<WorkspaceView>('GET', `/v1/workspaces/${ws.id}`)).json.expiresAt,
    );
    expect(Date.now()).toBeLessThan(leaseEnd); // set up within the lease, or the test proves nothing

    // No API call touches the workspace from here on (a GET is no activity): its lease must simply run out.
    // The sweep (every 300 ms) ends it at once: `stopping`, reason `expired`. Taking it down (a file save the
    // fake refuses, then the container) comes after and may take longer on a loaded machine.
    let lastSeen: unknown;
    const seen = (what: string) => (e: unknown) => {
      // Say what the workspace looked like last: a lease that moved, a stop that stalled, another end.
      const leaseWas = new Date(leaseEnd).toISOString();
      throw new Error(
        `${(e as Error).message} (${what}); lease ended ${leaseWas}; last seen ${JSON.stringify(lastSeen)}`,
      );
    };
    const statusIs = (wanted: string[]) => async () => {
      const r = await b.api<WorkspaceView>('GET', `/v1/workspaces/${ws.id}`);
      lastSeen = { status: r.status, body: r.json, at: new Date().toISOString() };
      return r.status === 200 && wanted.includes(r.json.status) ? r.json : undefined;
    };
    const expired = await b
      .until(statusIs(['stopping', 'stopped']), LEASE_SECONDS * 1000 + 10_000, 'the lease to run out', 250)
      .catch(seen('expiry'));
    const endedAt = Date.now();
    expect(expired?.terminationReason).toBe('expired');
    expect(endedAt).toBeGreaterThanOrEqual(leaseEnd);
    expect(endedAt - leaseEnd).toBeLessThan(EXPIRY_WITHIN_MS);
    const stopped = await b
      .until(statusIs(['stopped']), 90_000, 'the workspace to stop', 250)
      .catch(seen('stop'));
    expect(stopped?.terminationReason).toBe('expired');
    await b.until(
      async () => (await b.containersOf(ws.id)).every((c) => c.State !== 'running'),
      15_000,
      'its container to stop',
    );
  });
});
