import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { STAGED_MODULES, stageAgentSdk } from './agent-sdk.js';
import { buildSpawner, SPAWNER_BINARY } from './spawner.js';
import { elapsed, imageId, imageLabel, mustRun, removeReplaced, type Log } from './host-commands.js';
import { expandFiles, hashInputs } from './image-hash.js';
import { BASE_IMAGE, HASH_LABEL, PROXY_IMAGE, WORKSPACE_IMAGE } from './names.js';

/** An image built from a Dockerfile in the repo with a staged, minimal build context. */
export interface AppImageSpec {
  name: string;
  /** Dockerfile path relative to the repo root; the context root is the repo root layout. */
  dockerfile: string;
  /** Files and directories (repo-relative) copied into the context with the same layout. */
  context: readonly string[];
  /** Repo files that must exist before `prepare` runs (besides the Dockerfile). */
  requires?: readonly string[];
  /** Produces generated context files (e.g. a bundle) before hashing; runs on every check. */
  prepare?: (repoRoot: string, log: Log) => Promise<void>;
  /** When a file of the spec is missing: `skip` prints a notice, `fail` throws `hint`. */
  whenMissing: 'skip' | 'fail';
  hint: string;
}

export const WORKSPACE_SPEC: AppImageSpec = {
  name: WORKSPACE_IMAGE,
  dockerfile: 'workspace-image/Dockerfile',
  context: [
    'workspace-image/Dockerfile',
    'workspace-image/package.json',
    'workspace-image/dist',
    // The agent's one workspace dependency (wire types, snapshot format): node_modules/@berth/protocol.
    'packages/protocol/package.json',
    'packages/protocol/dist',
    SPAWNER_BINARY,
    STAGED_MODULES,
  ],
  // The Claude Agent SDK, copied out of node_modules so the context (and hash) holds exactly what ships;
  // berth-spawner, compiled from its C source.
  prepare: async (repoRoot, log) => {
    await buildSpawner(repoRoot, log);
    stageAgentSdk(repoRoot, log);
  },
  whenMissing: 'fail',
  hint: 'workspace-image/dist is built by `npx tsc -b`; run it first',
};

const PROXY_BUNDLE_SCRIPT = 'proxy-sidecar/scripts/bundle.mjs';

export const PROXY_SPEC: AppImageSpec = {
  name: PROXY_IMAGE,
  dockerfile: 'proxy-sidecar/Dockerfile',
  context: [
    'proxy-sidecar/Dockerfile',
    // The three programs and their shared chunks (scripts/bundle.mjs empties the directory first).
    'proxy-sidecar/.build',
  ],
  requires: [PROXY_BUNDLE_SCRIPT],
  prepare: async (repoRoot, log) => {
    log(`[images] proxy-sidecar: bundling with ${PROXY_BUNDLE_SCRIPT}`);
    await mustRun(process.execPath, [join(repoRoot, PROXY_BUNDLE_SCRIPT)], { cwd: repoRoot });
  },
  // The proxy sidecar is written in parallel; until it lands the workspace image is still usable.
  whenMissing: 'skip',
  hint: "the proxy sidecar's build files are not there yet",
};

/** Hash of a spec's inputs: the base image it builds on plus every context file. */
export async function appImageHash(spec: AppImageSpec, repoRoot: string): Promise<string> {
  const baseId = await imageId(BASE_IMAGE);
  if (!baseId) throw new Error(`${BASE_IMAGE} is missing: build it before ${spec.name}`);
  return hashInputs({ root: repoRoot, files: spec.context, values: { baseId, dockerfile: spec.dockerfile } });
}

export interface AppBuildOptions {
  repoRoot: string;
  log: Log;
  force?: boolean;
}

/** Builds one app image unless an image with the same input hash exists. Returns false when skipped for missing files. */
export async function ensureAppImage(
  spec: AppImageSpec,
  { repoRoot, log, force = false }: AppBuildOptions,
): Promise<boolean> {
  const short = spec.name.replace(/^berth\//, '').replace(/:.*$/, '');
  const absent = (files: readonly string[]): string[] => files.filter((f) => !existsSync(join(repoRoot, f)));
  let missing = absent([spec.dockerfile, ...(spec.requires ?? [])]);
  if (missing.length === 0) {
    await spec.prepare?.(repoRoot, log);
    missing = absent(spec.context);
  }
  if (missing.length > 0) {
    const msg = `${short}: missing ${missing.join(', ')} (${spec.hint})`;
    if (spec.whenMissing === 'skip') {
      log(`[images] ${msg}; skipping ${spec.name}`);
      return false;
    }
    throw new Error(msg);
  }

  const hash = await appImageHash(spec, repoRoot);
  if (!force && (await imageLabel(spec.name, HASH_LABEL)) === hash) {
    log(`[images] ${short}: ${spec.name} is current`);
    return true;
  }

  const started = Date.now();
  const oldId = await imageId(spec.name);
  // A staged context keeps node_modules and the rest of the repo out of the daemon upload.
  const ctx = mkdtempSync(join(tmpdir(), `berth-${short}-`));
  try {
    for (const rel of expandFiles(repoRoot, spec.context)) {
      mkdirSync(dirname(join(ctx, rel)), { recursive: true });
      cpSync(join(repoRoot, rel), join(ctx, rel), { dereference: true });
    }
    log(`[images] ${short}: docker build ${spec.name}`);
    await mustRun(
      'docker',
      [
        'build',
        '--build-arg',
        `BASE_IMAGE=${BASE_IMAGE}`,
        '--label',
        `${HASH_LABEL}=${hash}`,
        '-t',
        spec.name,
        '-f',
        join(ctx, spec.dockerfile),
        ctx,
      ],
      // BuildKit is not there with docker.io 20.10; the classic builder is enough for these files.
      { env: { ...process.env, DOCKER_BUILDKIT: '0' } },
    );
    await removeReplaced(oldId, spec.name);
    log(`[images] ${short}: built ${spec.name} in ${elapsed(started)}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return true;
}
