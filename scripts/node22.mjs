// Node 22 for running Berth where the machine's Node is older. The release comes from the npm registry
// (`node-linux-<arch>`, the package the workspace base image takes its Node from: local-docker/src/images/
// base-image.ts), pinned to one version and checked against the registry's integrity, and is unpacked once
// under .berth/node/. Plain Node, no dependencies: setup.mjs and with-node22.mjs run it before any build.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_MAJOR = 22;

/** The release used where the machine's Node is older, and each package's `dist.integrity` on the registry. */
export const NODE_RELEASE = {
  version: '22.23.3',
  integrity: {
    'linux-x64':
      'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
    'linux-arm64':
      'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
  },
};

const CACHE = fileURLToPath(new URL('../.berth/node/', import.meta.url));

const majorOf = (version) => Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);

/**
 * Path of a Node ≥ 22 binary: the running one when it is new enough, else the pinned release, fetched
 * and unpacked on first use. Throws with an instruction where no release is pinned for this platform.
 */
export function node22({ log = () => {} } = {}) {
  if (majorOf(process.version) >= NODE_MAJOR) return process.execPath;
  const platform = `${process.platform}-${process.arch}`;
  const integrity = NODE_RELEASE.integrity[platform];
  if (!integrity) {
    throw new Error(
      `Berth runs on Node ${NODE_MAJOR} and this is ${process.version} on ${platform}, for which no ` +
        `release is pinned in scripts/node22.mjs: install Node ${NODE_MAJOR} (https://nodejs.org) and run this again`,
    );
  }
  const dir = join(CACHE, `v${NODE_RELEASE.version}-${platform}`);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  install(`node-${platform}@${NODE_RELEASE.version}`, integrity, dir, log);
  return bin;
}

/** `npm pack` (so npm's own registry, proxy and auth settings apply), integrity check, unpack, then rename into place. */
function install(spec, integrity, dir, log) {
  const started = Date.now();
  log(`node: this machine has ${process.version}; fetching ${spec} from the npm registry`);
  mkdirSync(CACHE, { recursive: true });
  // A private directory per fetch, renamed into place whole: a concurrent run never sees half a binary.
  const tmp = mkdtempSync(join(CACHE, '.fetch-'));
  try {
    const packed = run('npm', ['pack', spec, '--json', '--pack-destination', tmp], tmp);
    const tarball = join(tmp, JSON.parse(packed)[0].filename);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (actual !== integrity) {
      throw new Error(`${spec}: the tarball's integrity ${actual} is not the pinned ${integrity}`);
    }
    run('tar', ['-xzf', tarball, '-C', tmp, 'package/bin/node'], tmp);
    const version = run(join(tmp, 'package', 'bin', 'node'), ['--version'], tmp).trim();
    if (version !== `v${NODE_RELEASE.version}`) throw new Error(`${spec}: the binary says ${version}`);
    try {
      renameSync(join(tmp, 'package'), dir);
    } catch (e) {
      if (!existsSync(join(dir, 'bin', 'node'))) throw e; // else another run installed it first
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // Releases pinned before take 120 MB each.
  for (const old of readdirSync(CACHE)) {
    if (old.startsWith('v') && join(CACHE, old) !== dir)
      rmSync(join(CACHE, old), { recursive: true, force: true });
  }
  log(`node: ${NODE_RELEASE.version} ready in ${dir} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

// Under `npm run -w <pkg>` the workspace settings are inherited; `npm pack` would pack that workspace too.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_config_.*workspace/i.test(k)),
);

function run(cmd, args, cwd) {
  const res = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error || res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${res.error?.message ?? res.stderr.trim()}`);
  }
  return res.stdout;
}
