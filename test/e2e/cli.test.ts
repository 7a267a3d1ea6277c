import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniq, useLocalBerth } from '../support/local-berth.js';

// The built `berth` binary, as a user runs it, against the real local Berth (handlers, Docker, DynamoDB Local).
const b = useLocalBerth();
const BIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** `berth <args>` in its own process; async, so the Berth in this process keeps answering. */
function berth(args: string[], cwd: string, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, BERTH_URL: b.url, BERTH_API_KEY: b.keys.A },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(stdin);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

describe('berth CLI end to end', () => {
  let dir: string;
  let id: string;

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx tsc -b\` first`);
    dir = await mkdtemp(join(tmpdir(), 'berth-cli-e2e-'));
  });

  it('ws create prints the id of a ready workspace', async () => {
    const r = await berth(['ws', 'create', uniq('cli'), '--label', 'via=cli'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    id = r.stdout.toString().trim();
    expect(id).toMatch(/^ws_/);
    b.track(id);
  });

  it("exec: stdout and stderr apart, the command's exit code", async () => {
    const r = await berth(['exec', id, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], dir);
    expect(r).toEqual({ code: 3, stdout: Buffer.from('out\n'), stderr: 'err\n' });
    // Piped stdin goes along with the streamed exec.
    const wc = await berth(['exec', id, '--', 'wc', '-c'], dir, 'héllo\n');
    expect(wc).toMatchObject({ code: 0, stderr: '' });
    expect(wc.stdout.toString().trim()).toBe('7');
  });

  it('cp a binary file in and back out, byte for byte', async () => {
    const data = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      randomBytes(64 * 1024),
    ]);
    await writeFile(join(dir, 'in.bin'), data);
    expect(await berth(['cp', join(dir, 'in.bin'), `${id}:data/in.bin`], dir)).toMatchObject({ code: 0 });
    expect(await berth(['cp', `${id}:data/in.bin`, join(dir, 'out.bin')], dir)).toMatchObject({ code: 0 });
    expect((await readFile(join(dir, 'out.bin'))).equals(data)).toBe(true);
  });

  it('ws ls lists it', async () => {
    const r = await berth(['ws', 'ls', '--label', 'via:cli'], dir);
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+CONVERSATION\s+STATUS\s+EXPIRES$/);
    expect(lines.some((l) => l.startsWith(`${id} `) && / ready /.test(l))).toBe(true);
  });

  it('ws rm, then ws get shows it stopped', async () => {
    const rm = await berth(['ws', 'rm', id], dir);
    expect(rm.code).toBe(0);
    expect(rm.stdout.toString()).toMatch(new RegExp(`^${id} (stopping|stopped)\n$`));
    const info = await b.until(
      async () => {
        const r = await berth(['ws', 'get', id, '--json'], dir);
        const w = JSON.parse(r.stdout.toString()) as { status: string; terminationReason: string | null };
        return w.status === 'stopped' ? w : null;
      },
      30_000,
      'stopped',
    );
    expect(info!.terminationReason).toBe('deleted');
    const r = await berth(['ws', 'get', id], dir);
    expect(r.stdout.toString()).toMatch(/^status\s+stopped$/m);
  });
});
