import { constants as fsConstants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AGENT_GID, AGENT_UID } from './hardening.js';
import { AGENT_TOKEN_FILE_NAME } from './paths.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fsConstants;

/**
 * Writes the agent's token into the agent dir, readable by the agent's uid only (the agent deletes it once
 * read). That dir is the workspace's to write, so nothing here goes by path after the name is taken: whatever
 * sits at the name (a symlink to a host file, a FIFO) is unlinked — unlink never follows — and the file is
 * created with O_EXCL|O_NOFOLLOW (fails rather than follow or reuse anything put there meanwhile), then
 * chowned and written through its descriptor.
 */
export async function writeAgentToken(agentDir: string, token: string): Promise<void> {
  const file = path.join(agentDir, AGENT_TOKEN_FILE_NAME);
  await unlink(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  const handle = await open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    // As non-root we cannot chown: the agent (another uid) must still be able to read it.
    await handle.chown(AGENT_UID, AGENT_GID).catch(() => handle.chmod(0o644));
    await handle.writeFile(token);
  } finally {
    await handle.close();
  }
}
