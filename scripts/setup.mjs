#!/usr/bin/env node
// Makes this machine ready for `npm start`, `npm test`, `npm run bench` and CI: Node 22 (fetched from the
// npm registry where the machine's Node is older: node22.mjs), Docker engine, Java 17 (DynamoDB Local),
// disk tools (per-workspace quota'd filesystems), TypeScript build, container images. Plain Node, no
// dependencies: it runs before any workspace package is built. Each step skips work already done.
//
//   node scripts/setup.mjs            everything
//   BERTH_SKIP_IMAGES=1 node ...      skip the image step
//   node scripts/setup.mjs --bench    also the benchmarks' baselines (tinyproxy)
//
// Installs use apt-get and so need root on Debian/Ubuntu; elsewhere it says what to install.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_RELEASE, node22 } from './node22.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BERTH_DIR = join(ROOT, '.berth');
const IS_ROOT = process.getuid?.() === 0;
const HAS_APT = existsSync('/usr/bin/apt-get');
const started = Date.now();

const log = (msg) => console.log(`[setup] ${msg}`);
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

function fail(msg) {
  console.error(`[setup] ERROR: ${msg}`);
  process.exit(1);
}

/** Full path of an executable on PATH (plus the sbin dirs a non-login root shell may lack). */
function which(cmd) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (d && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return undefined;
}

function quiet(cmd, args, timeoutMs = 20_000) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

let aptUpdated = false;
/** apt-get install as root on Debian/Ubuntu; otherwise exits with `manual` as the instruction. */
function aptInstall(pkgs, manual, { recommends = true } = {}) {
  if (!IS_ROOT || !HAS_APT) fail(manual);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = ['-q', '-y', '-o', 'DPkg::Lock::Timeout=300'];
  if (!aptUpdated) {
    log('apt-get update');
    if (spawnSync('apt-get', ['-q', 'update'], { stdio: 'inherit', env }).status !== 0)
      fail('apt-get update failed');
    aptUpdated = true;
  }
  const t0 = Date.now();
  log(`apt-get install ${pkgs.join(' ')}`);
  const extra = recommends ? [] : ['--no-install-recommends'];
  const res = spawnSync('apt-get', ['install', ...opts, ...extra, ...pkgs], { stdio: 'inherit', env });
  if (res.status !== 0) fail(`apt-get install ${pkgs.join(' ')} failed`);
  log(`installed ${pkgs.join(' ')} in ${secs(t0)}`);
}

// ---- 0. Node 22: what `npm start`, `npm test` and `npm run bench` run under (with-node22.mjs) --------

function ensureNode22() {
  try {
    const node = node22({ log });
    log(`node: ${node === process.execPath ? process.version : 'v' + NODE_RELEASE.version} at ${node}`);
  } catch (e) {
    fail(e.message);
  }
}

// ---- a. Docker engine -------------------------------------------------------------------------

/** The engine's version when `docker info` works, else undefined. */
function dockerVersion() {
  const res = quiet('docker', ['info', '--format', '{{.ServerVersion}}']);
  return res.status === 0 ? res.stdout.trim() : undefined;
}
const dockerUp = () => dockerVersion() !== undefined;

function pidAlive(pidFile) {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForDocker(seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (dockerUp()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return dockerUp();
}

async function ensureDocker() {
  const running = dockerVersion();
  if (running) return log(`docker: engine ${running} is running`);
  if (!which('dockerd') || !which('docker')) {
    aptInstall(
      ['docker.io'],
      'Docker is not installed. Install Docker Engine (Debian/Ubuntu: `sudo apt-get install -y docker.io`; ' +
        'elsewhere see https://docs.docker.com/engine/install/), start it, and run this again.',
    );
    // The package's init script may have started the daemon already.
    if (dockerUp()) return log('docker: engine started by the package');
  }
  if (!IS_ROOT) {
    fail(
      'the Docker engine is not running (or this user may not use it). Start it, e.g. ' +
        '`sudo systemctl start docker` or `sudo dockerd >/var/log/dockerd.log 2>&1 &`, ' +
        'and make sure `docker info` works for this user (group `docker`).',
    );
  }
  const t0 = Date.now();
  const logFile = join(BERTH_DIR, 'dockerd.log');
  if (pidAlive('/var/run/docker.pid')) {
    // A daemon is starting (or hung); don't start a second one that would refuse the pid file.
    log('docker: a dockerd process exists; waiting for it to answer');
  } else if (
    existsSync('/run/systemd/system') &&
    spawnSync('systemctl', ['start', 'docker'], { stdio: 'inherit' }).status === 0
  ) {
    log('docker: started with systemctl');
  } else {
    mkdirSync(BERTH_DIR, { recursive: true });
    const fd = openSync(logFile, 'a');
    // No init system here: run dockerd detached so it outlives this script (and the test run).
    const child = spawn(which('dockerd') ?? 'dockerd', [], { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    closeSync(fd);
    log(`docker: started dockerd (pid ${child.pid}), log in ${logFile}`);
  }
  if (!(await waitForDocker(60))) {
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n') : '';
    fail(`dockerd did not answer \`docker info\` within 60 s.\n${tail}`);
  }
  log(`docker: engine ready in ${secs(t0)}`);
}

// ---- b. Java >= 17 for DynamoDB Local -------------------------------------------------------

function javaMajor() {
  const res = quiet('java', ['-version']);
  if (res.error || res.status !== 0) return 0;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${res.stderr}${res.stdout}`);
  if (!m) return 0;
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first; // "1.8.0" style before Java 9
}

function ensureJava() {
  let major = javaMajor();
  if (major >= 17) return log(`java: ${major} found`);
  aptInstall(
    ['openjdk-17-jre-headless'],
    `Java 17 or newer is needed for DynamoDB Local (found ${major || 'none'}): install a JRE ≥ 17 ` +
      '(Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`) and run this again.',
    { recommends: false },
  );
  major = javaMajor();
  if (major < 17)
    fail(
      `\`java\` is still ${major || 'missing'} after installing openjdk-17: point it at Java 17 (update-alternatives --config java)`,
    );
  log(`java: ${major} installed`);
}

// ---- c2. Disk tools: each workspace's quota'd filesystem (local-docker/src/runtime/workspace-disk.ts) -----

/** mkfs.ext4 (e2fsprogs) and mount/umount/losetup (Debian's `mount`); only where Berth can loop-mount (root). */
function ensureDiskTools() {
  if (process.platform !== 'linux' || !IS_ROOT) {
    log('disk tools: skipped (not root on Linux: workspaces get plain dirs without a disk quota)');
    return;
  }
  const missing = () => ['mkfs.ext4', 'mount', 'umount', 'losetup'].filter((t) => !which(t));
  if (missing().length === 0) return;
  aptInstall(
    ['e2fsprogs', 'mount'],
    `${missing().join(', ')} missing: install e2fsprogs and util-linux's mount (Debian/Ubuntu: ` +
      '`sudo apt-get install -y e2fsprogs mount`) and run this again.',
    { recommends: false },
  );
  if (missing().length) fail(`still missing after installing e2fsprogs and mount: ${missing().join(', ')}`);
  log('disk tools: installed');
}

// ---- d. TypeScript build ------------------------------------------------------------------

function buildTypeScript() {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) fail('node_modules is missing: run `npm ci` (or `npm install`) first');
  const t0 = Date.now();
  log('tsc -b');
  const res = spawnSync(process.execPath, [tsc, '-b'], { cwd: ROOT, stdio: 'inherit' });
  if (res.status !== 0) fail('TypeScript build failed (see above)');
  // `npm ci` links the `berth` bin before any build made it, so it is not executable yet: `npx berth`.
  chmodSync(join(ROOT, 'packages', 'cli', 'dist', 'main.js'), 0o755);
  log(`tsc -b done in ${secs(t0)}`);
}

// ---- d2. berth-spawner: the agent's posix_spawn helper, in C (workspace-image/native/) -------

/** `cc` that links statically (a static C library: Debian's libc6-dev). */
function staticCcReady() {
  const res = quiet('cc', ['-print-file-name=libc.a']);
  return !res.error && res.status === 0 && res.stdout.trim().startsWith('/');
}

function ensureCCompiler() {
  if (staticCcReady()) return;
  aptInstall(
    ['gcc', 'libc6-dev'],
    'A C compiler with a static C library is needed to build berth-spawner: install them ' +
      '(Debian/Ubuntu: `sudo apt-get install -y gcc libc6-dev`) and run this again.',
    { recommends: false },
  );
  if (!staticCcReady()) fail('`cc -static` is still not usable after installing gcc and libc6-dev');
}

function buildSpawner() {
  const res = spawnSync(process.execPath, [join(ROOT, 'local-docker', 'dist', 'images', 'spawner.js')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (res.status !== 0) fail('building berth-spawner failed (see above)');
}

// ---- c. mmdebstrap (only when the base image must be built) + e. images ----------------------

const IMAGE_CLI = join(ROOT, 'local-docker', 'dist', 'images', 'build-images.js');

function ensureMmdebstrapIfNeeded() {
  if (which('mmdebstrap')) return;
  const plan = spawnSync(process.execPath, [IMAGE_CLI, '--plan'], { cwd: ROOT, encoding: 'utf8' });
  if (plan.status !== 0) fail(`image plan failed:\n${plan.stderr}`);
  if (!JSON.parse(plan.stdout).baseNeedsBuild) return;
  aptInstall(
    ['mmdebstrap'],
    'mmdebstrap is needed to build the base image offline: install it ' +
      '(Debian/Ubuntu: `sudo apt-get install -y mmdebstrap`) and run this again.',
  );
}

function buildImages() {
  const t0 = Date.now();
  const res = spawnSync(process.execPath, [IMAGE_CLI], { cwd: ROOT, stdio: 'inherit' });
  if (res.status !== 0) fail('building the container images failed (see above)');
  log(`images ready in ${secs(t0)}`);
}

// ---- f. Benchmark baselines (`--bench`): what `npm run bench` compares Berth against -----------

function ensureBenchTools() {
  if (which('tinyproxy')) return;
  aptInstall(
    ['tinyproxy'],
    'the proxy benchmark compares against tinyproxy: install it ' +
      '(Debian/Ubuntu: `sudo apt-get install -y tinyproxy`) and run this again.',
    { recommends: false },
  );
}

ensureNode22();
await ensureDocker();
ensureJava();
ensureDiskTools();
if (process.argv.includes('--bench')) ensureBenchTools();
buildTypeScript();
ensureCCompiler();
buildSpawner();
if (process.env.BERTH_SKIP_IMAGES === '1') {
  log('images: skipped (BERTH_SKIP_IMAGES=1)');
} else {
  ensureMmdebstrapIfNeeded();
  buildImages();
}
log(`ready in ${secs(started)}`);
