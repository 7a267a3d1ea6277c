import { beforeAll, describe, expect, it } from 'vitest';
import { uniq, useLocalBerth, type WorkspaceView } from '../support/local-berth.js';
import { ALLOCATE_3GB, CONNECT_OUT, FORK_150, interfaceNames, LIST_INTERFACES } from './probes.js';

// Isolation as an API client sees it: every probe runs inside a workspace THROUGH the public exec API of
// the real local host (ARCHITECTURE.md §4), so what is checked is what an agent's commands can do.
const b = useLocalBerth();
let id: string;

const run = async (cmd: string[], opts: { timeoutMs?: number } = {}) => {
  const r = await b.exec(id, cmd, opts);
  expect(r.status, r.text).toBe(200);
  return r.json;
};
const sh = (script: string, opts: { timeoutMs?: number } = {}) => run(['sh', '-c', script], opts);

beforeAll(async () => {
  id = (await b.createWorkspace(uniq('sec'))).json.id;
});

describe('network', () => {
  it('has no interface but lo', async () => {
    const dev = await run(LIST_INTERFACES);
    expect(interfaceNames(dev.stdout)).toEqual(['lo']);
  });

  it('has no route out', async () => {
    const route = await run(['cat', '/proc/net/route']);
    expect(route.exitCode).toBe(0);
    const lines = route.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Iface\s+Destination\s+Gateway/);
    expect(lines).toHaveLength(1); // the header only
    const v6 = await run(['cat', '/proc/net/ipv6_route']);
    const v6routes = v6.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .filter((l) => !/\slo$/.test(l.trim()));
    expect(v6routes).toEqual([]);
  });

  it('cannot connect out: ENETUNREACH at once (network none: no packet can leave)', async () => {
    const node = await run(CONNECT_OUT);
    const [code, ms] = node.stdout.trim().split(' ');
    expect(code).toBe('ENETUNREACH');
    expect(Number(ms)).toBeLessThan(1000);
    const py = await run([
      'python3',
      '-c',
      'import socket,errno\ns=socket.socket()\ntry:\n s.connect(("1.1.1.1",80)); print("CONNECTED")\nexcept OSError as e: print(errno.errorcode.get(e.errno))',
    ]);
    expect(py.stdout.trim()).toBe('ENETUNREACH');
    const dns = await run([
      'node',
      '-e',
      "require('dns').lookup('example.com',(e)=>console.log(e?e.code:'RESOLVED'))",
    ]);
    expect(dns.stdout.trim()).not.toBe('RESOLVED');
  });
});

describe('filesystem and privileges', () => {
  it('cannot write / (read-only root), can write /workspace, /tmp and /var/tmp', async () => {
    for (const target of ['/evil', '/usr/evil', '/etc/evil', '/bin/evil']) {
      const r = await sh(`echo x > ${target}`);
      expect(r.exitCode, target).not.toBe(0);
      expect(r.stderr).toMatch(/Read-only file system|Permission denied/);
    }
    const check = await sh('ls /evil /usr/evil 2>&1; true');
    expect(check.stdout).toMatch(/No such file/);
    const ok = await sh(
      'echo w > /workspace/w && echo t > /tmp/t && echo v > /var/tmp/v && cat /workspace/w /tmp/t /var/tmp/v',
    );
    expect(ok).toMatchObject({ exitCode: 0, stdout: 'w\nt\nv\n' });
  });

  it('runs as uid 1000, not root', async () => {
    expect((await run(['id', '-u'])).stdout).toBe('1000\n');
    expect((await run(['id', '-g'])).stdout).toBe('1000\n');
    // Every process of the workspace, the agent (pid 1's child under tini) included, is uid 1000.
    const uids = await sh("for f in /proc/[0-9]*/status; do grep '^Uid:' $f | cut -f2; done | sort -u");
    expect(uids.stdout).toBe('1000\n');
  });

  it('has no capabilities and no-new-privileges', async () => {
    const status = (await run(['cat', '/proc/self/status'])).stdout;
    expect(status).toMatch(/^CapEff:\s+0000000000000000$/m);
    expect(status).toMatch(/^CapPrm:\s+0000000000000000$/m);
    expect(status).toMatch(/^CapBnd:\s+0000000000000000$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^Seccomp:\s+2$/m);
  });

  it('cannot see the Docker socket or the host state dir', async () => {
    const r = await sh('test -e /var/run/docker.sock && echo yes || echo no');
    expect(r.stdout.trim()).toBe('no');
    const mounts = (await run(['cat', '/proc/mounts'])).stdout;
    expect(mounts).not.toContain('docker.sock');
    // Only this workspace's own dirs are mounted from the host.
    expect((await sh('ls -A /run/berth')).stdout.split('\n').filter(Boolean).sort()).toEqual([
      'agent',
      'host',
    ]);
    expect((await sh('ls -A /run/berth/agent')).stdout).toContain('agent.sock');
  });
});

describe('limits', () => {
  it('refuses forks beyond the pids limit (150 processes), and recovers', async () => {
    const r = await run(FORK_150, { timeoutMs: 20_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const [started, failed] = r.stdout.trim().split(' ').map(Number);
    expect(started! + failed!).toBe(150);
    expect(failed).toBeGreaterThan(0);
    expect(started).toBeLessThan(100);
    // The children are gone and the workspace works again.
    const after = await sh('ls /proc | grep -c "^[0-9]"');
    expect(Number(after.stdout.trim())).toBeLessThan(20);
    expect((await run(['echo', 'alive'])).stdout).toBe('alive\n');
  });

  it('OOM-kills a 3 GB allocation; the exec reports it and the control plane carries on', async () => {
    const r = await b.exec(id, ALLOCATE_3GB, {
      timeoutMs: 60_000,
    });
    expect(r.json?.stdout ?? '').not.toContain('ALLOCATED');
    let killed: boolean;
    if (r.status === 200) {
      // Only the hog died: the exec says so.
      killed = r.json.exitCode === 137 || r.json.signal === 'SIGKILL';
      expect(killed, JSON.stringify(r.json)).toBe(true);
      expect(r.json.timedOut).toBe(false);
    } else {
      // Or the whole container went: the workspace fails with the reason.
      expect(r.status).toBe(409);
      const ws = await b.until(
        async () => {
          const g = await b.api<WorkspaceView>('GET', `/v1/workspaces/${id}`);
          return g.json.status === 'failed' ? g.json : null;
        },
        5000,
        'workspace failed',
      );
      expect(ws!.terminationReason).toBe('oom');
    }
    // The control plane is fine, and serves another workspace.
    const health = await b.api('GET', '/health', { key: null });
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
    const other = await b.createWorkspace(uniq('sec-after'));
    expect(other.json.status).toBe('ready');
    expect((await b.exec(other.json.id, ['echo', 'fine'])).json.stdout).toBe('fine\n');
    // The same workspace, if it survived, still works.
    if (r.status === 200) expect((await run(['echo', 'survived'])).stdout).toBe('survived\n');
    await b.api('DELETE', `/v1/workspaces/${other.json.id}`);
  });
});
