import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The SDK as a user gets it: `npm pack` (which builds the bundle), installed offline into an empty project.
// It must need nothing else: no dependency, @berth/protocol's code and types inlined, zod nowhere.

const sdkDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(sdkDir, '..', '..');
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/** npm as a user runs it: none of the npm_* settings of the script that may be running these tests. */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
);
function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      env: userEnv,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: e });
  }
}

let tmp: string;
let app: string;
let packed: { files: { path: string }[]; filename: string };

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'berth-sdk-pack-'));
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], sdkDir)) as [typeof packed];
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, packed.filename)], app);
}, 240_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed SDK', () => {
  it('ships the bundle only, and installs with nothing but itself', () => {
    expect(packed.files.map((f) => f.path).sort()).toEqual([
      'README.md',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/@berth/sdk/package.json'), 'utf8')) as {
      dependencies?: object;
    };
    expect(manifest.dependencies).toBeUndefined();
    expect(readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['@berth']);
    expect(readdirSync(join(app, 'node_modules/@berth'))).toEqual(['sdk']);
  });

  it('carries no import of another package, in its code or its types', () => {
    const dist = join(app, 'node_modules/@berth/sdk/dist');
    for (const file of ['index.js', 'index.d.ts']) {
      const text = readFileSync(join(dist, file), 'utf8');
      expect(text, file).not.toMatch(/\bfrom\s*['"][^.'"]/);
      expect(text, file).not.toMatch(/\bimport\s*\(\s*['"][^.'"]/);
      expect(text, file).not.toMatch(/@berth\/protocol|zod/);
    }
  });

  it('runs under plain node: a call through the client, its error codes and the SSE decoder', () => {
    const script = `
      import { Berth, BerthApiError, SseDecoder } from '@berth/sdk';
      const answers = [
        new Response('{"status":"ok","components":{"store":"ok","runtime":"ok","blobs":"ok"}}', {
          headers: { 'content-type': 'application/json' },
        }),
        new Response('<html>bad gateway</html>', { status: 502 }),
      ];
      const berth = new Berth({ baseUrl: 'http://berth.invalid', apiKey: 'k', maxRetries: 0, fetch: async () => answers.shift() });
      const health = await berth.health();
      const error = await berth.pool().catch((e) => e);
      const events = new SseDecoder().push('event: exit\\ndata: {"exitCode":0}\\n\\n');
      console.log(JSON.stringify({ health: health.status, error: error instanceof BerthApiError && error.code, events }));
    `;
    const out = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], app)) as unknown;
    expect(out).toEqual({
      health: 'ok',
      error: 'internal',
      events: [{ event: 'exit', data: '{"exitCode":0}' }],
    });
  });

  it('type-checks a user program against the bundled types alone (strict, no skipLibCheck)', () => {
    writeFileSync(
      join(app, 'main.ts'),
      [
        "import { Berth, type AgentEvent, type CommandResult, type WorkspaceInfo } from '@berth/sdk';",
        "const berth = new Berth({ baseUrl: 'http://localhost:8787', apiKey: 'k' });",
        'export async function main(): Promise<[WorkspaceInfo, CommandResult, AgentEvent[]]> {',
        "  const ws = await berth.workspaces.create({ conversationId: 'c1' });",
        "  const result = await ws.commands.run(['ls'], { cwd: '.', timeoutMs: 1000 });",
        '  const events: AgentEvent[] = [];',
        "  for await (const e of ws.agent.run({ prompt: 'hi' })) if (e.event !== 'message') events.push(e);",
        '  return [ws.info, result, events];',
        '}',
      ].join('\n'),
    );
    const compilerOptions = {
      strict: true,
      noEmit: true,
      module: 'nodenext',
      target: 'es2022',
      lib: ['es2023', 'dom', 'dom.iterable'],
      types: [],
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
    expect(run(process.execPath, [tsc, '-p', '.'], app)).toBe('');
  });
});
