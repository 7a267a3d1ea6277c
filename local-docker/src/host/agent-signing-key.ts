import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { agentSigningKeyFromPem } from '@berth/protocol/agent-token';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fsConstants;

/** The file under the state dir that holds the host's agent-token signing key (PKCS#8 PEM, mode 0600). */
export const AGENT_SIGNING_KEY_FILE = 'agent-signing-key.pem';

/**
 * The local host's agent-token signing key: made on the first start and kept in the state dir, so workspaces
 * that outlive a restart still accept the host's tokens. The state dir is the host's alone (no workspace
 * mounts it); the file is still opened without following links and created exclusively, readable by this
 * user only. Workspaces get only the public half.
 */
export async function loadOrCreateAgentSigningKey(stateDir: string): Promise<KeyObject> {
  const file = path.join(stateDir, AGENT_SIGNING_KEY_FILE);
  try {
    const handle = await open(file, O_RDONLY | O_NOFOLLOW);
    try {
      return agentSigningKeyFromPem(await handle.readFile('utf8'));
    } finally {
      await handle.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const handle = await open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  } finally {
    await handle.close();
  }
  return privateKey;
}
