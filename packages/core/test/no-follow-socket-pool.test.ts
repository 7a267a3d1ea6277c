import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoFollowSocketPool } from '../src/workspace-agent/no-follow-socket-pool.js';

/** The control plane reaches an agent socket in a directory the workspace writes: it must never follow a link. */
describe('NoFollowSocketPool', () => {
  let dir: string;
  let real: string;
  let decoy: string;
  const servers: http.Server[] = [];
  const agent = new NoFollowSocketPool({ keepAlive: true });

  const serve = async (socketPath: string, answer: string) => {
    const server = http.createServer((_req, res) => res.end(answer));
    await new Promise<void>((r) => server.listen(socketPath, r));
    servers.push(server);
  };
  const get = (socketPath: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.get({ socketPath, path: '/health', agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'no-follow-'));
    real = path.join(dir, 'agent.sock');
    decoy = path.join(dir, 'host-daemon.sock');
    await serve(real, 'agent');
    await serve(decoy, 'host daemon');
  });
  afterAll(async () => {
    agent.destroy();
    for (const s of servers) await new Promise((r) => s.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('connects to a socket', async () => {
    expect(await get(real)).toBe('agent');
  });

  it('refuses a symlink, even to a live socket', async () => {
    const link = path.join(dir, 'swapped.sock');
    await symlink(decoy, link);
    await expect(get(link)).rejects.toThrow(/not a socket/);
  });

  it('refuses a regular file and a missing name', async () => {
    const file = path.join(dir, 'file.sock');
    await writeFile(file, 'x');
    await expect(get(file)).rejects.toThrow(/not a socket/);
    await expect(get(path.join(dir, 'missing.sock'))).rejects.toThrow(/ENOENT/);
  });
});
