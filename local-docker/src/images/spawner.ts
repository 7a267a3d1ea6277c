import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mustRun, type Log } from './host-commands.js';

/** Repo-relative: the C source, and where the agent looks for the binary (workspace-image/src/config.ts). */
export const SPAWNER_SOURCE = 'workspace-image/native/berth-spawner.c';
export const SPAWNER_BINARY = 'workspace-image/bin/berth-spawner';

/**
 * Compiles berth-spawner, the agent's posix_spawn helper, with the host's C compiler when the source is
 * newer than the binary. Linked statically: it then runs in the image whatever the host's C library is.
 */
export async function buildSpawner(repoRoot: string, log: Log): Promise<void> {
  const src = join(repoRoot, SPAWNER_SOURCE);
  const out = join(repoRoot, SPAWNER_BINARY);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return;
  const cc = process.env.CC || 'cc';
  log(`[images] workspace: compiling ${SPAWNER_SOURCE} with ${cc}`);
  mkdirSync(join(out, '..'), { recursive: true });
  await mustRun(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-static', '-o', out, src]).catch((e: unknown) => {
    throw new Error(
      `cannot compile berth-spawner (a C compiler with a static C library is needed: ` +
        `Debian/Ubuntu \`apt-get install gcc libc6-dev\`; scripts/setup.mjs installs them): ${String(e)}`,
    );
  });
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  buildSpawner(fileURLToPath(new URL('../../../', import.meta.url)), (m) => console.log(m)).catch(
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
