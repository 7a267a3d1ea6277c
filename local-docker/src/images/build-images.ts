import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureAppImage, PROXY_SPEC, WORKSPACE_SPEC } from './app-images.js';
import { baseImageNeedsBuild, ensureBaseImage } from './base-image.js';
import { elapsed, type Log } from './host-commands.js';

/** Repo root: this file sits at local-docker/{src,dist}/images/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface EnsureImagesOptions {
  log?: Log;
  /** Rebuild even when the labels say the images are current. */
  force?: boolean;
  repoRoot?: string;
}

export interface EnsureImagesResult {
  /** False when the proxy image was skipped because its sources are not there yet. */
  proxy: boolean;
}

/** Builds the base, workspace and proxy images where their inputs changed; cheap when all are current. */
export async function ensureImages(opts: EnsureImagesOptions = {}): Promise<EnsureImagesResult> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const build = { log, force: opts.force ?? false, repoRoot: opts.repoRoot ?? REPO_ROOT };
  await ensureBaseImage(build);
  await ensureAppImage(WORKSPACE_SPEC, build);
  const proxy = await ensureAppImage(PROXY_SPEC, build);
  return { proxy };
}

async function main(argv: readonly string[]): Promise<void> {
  // `--plan` answers "must the base image be built?" so setup.mjs installs mmdebstrap only then.
  if (argv.includes('--plan')) {
    console.log(JSON.stringify({ baseNeedsBuild: await baseImageNeedsBuild() }));
    return;
  }
  const started = Date.now();
  await ensureImages({ force: argv.includes('--force') });
  console.log(`[images] done in ${elapsed(started)}`);
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`[images] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
