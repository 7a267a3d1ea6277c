import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_SIGNING_KEY_FILE, loadOrCreateAgentSigningKey } from '../../src/host/agent-signing-key.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-key-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the local host agent-token signing key', () => {
  it('is made on the first start, readable by this user only, and the same on the next start', async () => {
    const first = await loadOrCreateAgentSigningKey(dir);
    expect(first.asymmetricKeyType).toBe('ed25519');
    const file = path.join(dir, AGENT_SIGNING_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateAgentSigningKey(dir);
    expect(again.export({ type: 'pkcs8', format: 'pem' })).toEqual(
      first.export({ type: 'pkcs8', format: 'pem' }),
    );
  });

  it('never follows a link put at its name, and refuses a file that is not an Ed25519 key', async () => {
    const target = path.join(dir, 'elsewhere');
    await writeFile(target, 'not a key');
    await symlink(target, path.join(dir, AGENT_SIGNING_KEY_FILE));
    await expect(loadOrCreateAgentSigningKey(dir)).rejects.toThrow();
    expect(await readFile(target, 'utf8')).toBe('not a key');
    await rm(path.join(dir, AGENT_SIGNING_KEY_FILE));
    await writeFile(path.join(dir, AGENT_SIGNING_KEY_FILE), 'garbage');
    await expect(loadOrCreateAgentSigningKey(dir)).rejects.toThrow();
  });
});
