import { lstat, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { writeAgentToken } from '../../src/runtime/agent-token-file.js';

const isRoot = process.getuid?.() === 0;

async function setup() {
  const base = await mkdtemp(path.join(tmpdir(), 'berth-token-'));
  const agentDir = path.join(base, 'agent');
  await mkdir(agentDir);
  // A host file the workspace would love root to write through or chown.
  const victim = path.join(base, 'victim');
  await writeFile(victim, 'host content', { mode: 0o644 });
  return { agentDir, victim, token: path.join(agentDir, 'agent-token') };
}

describe('writeAgentToken', () => {
  it('writes the token 0600, owned by the agent uid when root', async () => {
    const { agentDir, token } = await setup();
    await writeAgentToken(agentDir, 'secret-token-123456');
    expect(await readFile(token, 'utf8')).toBe('secret-token-123456');
    const info = await lstat(token);
    expect(info.isFile()).toBe(true);
    if (isRoot) {
      expect(info.mode & 0o777).toBe(0o600);
      expect([info.uid, info.gid]).toEqual([1000, 1000]);
    }
  });

  it('replaces a symlink planted at the name and never writes or chowns its target', async () => {
    const { agentDir, victim, token } = await setup();
    await symlink(victim, token);
    const before = await lstat(victim);
    await writeAgentToken(agentDir, 'secret-token-123456');
    expect(await readFile(victim, 'utf8')).toBe('host content');
    const after = await lstat(victim);
    expect([after.uid, after.gid, after.mode]).toEqual([before.uid, before.gid, before.mode]);
    expect((await lstat(token)).isSymbolicLink()).toBe(false);
    expect(await readFile(token, 'utf8')).toBe('secret-token-123456');
  });

  it('replaces a dangling symlink and a FIFO (never blocks on one)', async () => {
    const { agentDir, token } = await setup();
    await symlink('/nonexistent/elsewhere', token);
    await writeAgentToken(agentDir, 'first-token-1234567');
    expect(await readFile(token, 'utf8')).toBe('first-token-1234567');
    execFileSync('rm', [token]);
    execFileSync('mkfifo', [token]);
    await writeAgentToken(agentDir, 'second-token-123456');
    expect((await lstat(token)).isFile()).toBe(true);
    expect(await readFile(token, 'utf8')).toBe('second-token-123456');
  });

  it('refuses a directory at the name (fails, writes nothing elsewhere)', async () => {
    const { agentDir, token } = await setup();
    await mkdir(token);
    await writeFile(path.join(token, 'inside'), 'x');
    await expect(writeAgentToken(agentDir, 'secret-token-123456')).rejects.toThrow();
    expect(await readFile(path.join(token, 'inside'), 'utf8')).toBe('x');
  });
});
