import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dynamoDbLocalsServing,
  endStaleDynamoDbLocals,
  withParentDeathSignal,
} from '../../src/local/dynamodb-local-process.js';
import { startDynamoDbLocal } from '../../src/local/dynamodb-local.js';

const linux = process.platform === 'linux';
const alive = (pid: number) =>
  readFile(`/proc/${pid}/stat`, 'utf8').then(
    (s) => !/^\d+ \(.*\) Z/.test(s), // a zombie is dead
    () => false,
  );
async function until(fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (await fn()) return true;
  }
  return fn();
}

describe.runIf(linux)('DynamoDB Local processes', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-ddb-proc-'));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  /** A process whose command line looks like DynamoDB Local on `db` (relative to `cwd`); optionally deaf to SIGTERM. */
  const fakeJvm = async (cwd: string, db: string, ignoreTerm = false) => {
    const code = `${ignoreTerm ? "process.on('SIGTERM',()=>{});" : ''}console.log('up');setInterval(()=>{},1e3)`;
    const child = spawn(process.execPath, ['-e', code, '/opt/x/DynamoDBLocal.jar', '-dbPath', db], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    await new Promise((r) => child.stdout!.once('data', r)); // its SIGTERM handler is in place
    return child;
  };

  it('finds a DynamoDB Local by its -dbPath (relative to its cwd) and ends it, SIGKILL for a deaf one', async () => {
    const a = await fakeJvm(dir, 'db');
    const b = await fakeJvm(dir, join(dir, 'db'), true);
    const other = await fakeJvm(dir, 'other-db');
    expect((await dynamoDbLocalsServing(join(dir, 'db'))).sort()).toEqual([a.pid, b.pid].sort());

    expect((await endStaleDynamoDbLocals(join(dir, 'db'), 300)).sort()).toEqual([a.pid, b.pid].sort());
    expect(await alive(a.pid!)).toBe(false);
    expect(await alive(b.pid!)).toBe(false);
    expect(b.signalCode ?? (await new Promise((r) => b.once('exit', (_c, s) => r(s))))).toBe('SIGKILL');
    // Another state dir's DynamoDB Local is left alone.
    expect(await alive(other.pid!)).toBe(true);
    expect(await dynamoDbLocalsServing(join(dir, 'db'))).toEqual([]);
  });

  it('a child started with the parent-death signal ends when its parent is SIGKILLed', async () => {
    const [cmd, args] = await withParentDeathSignal('sleep', ['300']);
    expect(cmd).toMatch(/setpriv$/); // util-linux is on every Debian machine
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const c=require('child_process').spawn(process.argv[1],JSON.parse(process.argv[2]),{stdio:'ignore'});` +
          `console.log(c.pid);setInterval(()=>{},1e3)`,
        cmd,
        JSON.stringify(args),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.push(parent);
    const pid = Number(
      await new Promise<string>((r) => parent.stdout!.once('data', (c: Buffer) => r(String(c)))),
    );
    expect(
      await until(async () => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).startsWith('sleep'), 5_000),
    ).toBe(true);
    parent.kill('SIGKILL');
    expect(await until(async () => !(await alive(pid)), 5_000)).toBe(true);
  });

  it('a second start on the same dbPath ends the first: one DynamoDB Local per database', async () => {
    const db = join(dir, 'real-db');
    const first = await startDynamoDbLocal({ dbPath: db });
    const [firstPid] = await dynamoDbLocalsServing(db);
    const second = await startDynamoDbLocal({ dbPath: db });
    try {
      const now = await dynamoDbLocalsServing(db);
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(firstPid);
      await expect(fetch(first.endpoint, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    } finally {
      await first.stop();
      await second.stop();
    }
    expect(await dynamoDbLocalsServing(db)).toEqual([]);
  }, 120_000);
});
