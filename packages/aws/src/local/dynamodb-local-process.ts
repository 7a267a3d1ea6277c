import { access, readFile, readdir, readlink } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';

/**
 * What makes a DynamoDB Local JVM die with the process that started it, and what finds one that outlived its
 * parent anyway (a parent killed before this existed, a machine without util-linux). Linux only: elsewhere
 * there is no /proc and no setpriv, and both are no-ops.
 */

/** The name of the jar in the JVM's command line: how a DynamoDB Local process is recognised. */
const JAR = 'DynamoDBLocal.jar';

let setprivPath: Promise<string | null> | undefined;

/**
 * `[command, ...args]` that runs `command` with the kernel's parent-death signal set (util-linux `setpriv
 * --pdeathsig`, which then execs the command: the pid stays the same), so the JVM ends even when its parent is
 * SIGKILLed and no exit handler runs. SIGTERM, not SIGKILL: a SIGKILLed DynamoDB Local loses the writes it
 * acknowledged in its last milliseconds (measured: 6 of 120 transactions), a SIGTERMed one shuts down cleanly
 * (0 of 240); one that does not end is ended by the next start (endStaleDynamoDbLocals). Without setpriv, the
 * command as it is.
 */
export async function withParentDeathSignal(command: string, args: string[]): Promise<[string, string[]]> {
  setprivPath ??= findOnPath('setpriv');
  const setpriv = await setprivPath;
  return setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', command, ...args]] : [command, args];
}

async function findOnPath(name: string): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return null;
}

/** Pids of the DynamoDB Local JVMs whose `-dbPath` is `dbPath` (read from /proc; [] without /proc). */
export async function dynamoDbLocalsServing(dbPath: string): Promise<number[]> {
  const wanted = resolve(dbPath);
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if ((await servedDbPath(pid)) === wanted) found.push(pid);
  }
  return found;
}

/** The absolute `-dbPath` of process `pid` if it is a DynamoDB Local JVM (zombies have an empty cmdline). */
async function servedDbPath(pid: number): Promise<string | null> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const args = cmdline.split('\0');
  if (!args.some((a) => a.endsWith(JAR))) return null;
  const i = args.indexOf('-dbPath');
  const path = i >= 0 ? args[i + 1] : undefined;
  if (!path) return null;
  // A relative path was relative to that process's working directory.
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
  if (cwd === null && !path.startsWith('/')) return null;
  return resolve(cwd ?? '/', path);
}

/**
 * Ends every DynamoDB Local JVM still serving `dbPath` (a leftover of a Berth that died before it could stop
 * its own): SIGTERM so it closes its database, SIGKILL after `graceMs`. Two JVMs on one database file would
 * both write it. Returns the pids it ended; throws if one cannot be ended (another user's process).
 */
export async function endStaleDynamoDbLocals(dbPath: string, graceMs = 3_000): Promise<number[]> {
  const pids = await dynamoDbLocalsServing(dbPath);
  const wanted = resolve(dbPath);
  await Promise.all(
    pids.map(async (pid) => {
      const alive = async () => (await servedDbPath(pid)) === wanted;
      signal(pid, 'SIGTERM');
      const killAt = Date.now() + graceMs;
      for (let killed = false; await alive(); ) {
        if (!killed && Date.now() >= killAt) {
          signal(pid, 'SIGKILL');
          killed = true;
        }
        if (Date.now() >= killAt + 5_000)
          throw new Error(`DynamoDB Local pid ${pid} on ${dbPath} did not end`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw new Error(`cannot end the stale DynamoDB Local (pid ${pid}): ${(e as Error).message}`);
    }
  }
}
