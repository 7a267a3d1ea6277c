import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDependencies } from '../check-dependencies.mjs';

const SCRIPT = fileURLToPath(new URL('../check-dependencies.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** A tree shaped like the repo where every rule holds; each case plants one file over it. */
const CLEAN: Record<string, string> = {
  'packages/core/package.json': JSON.stringify({ dependencies: { '@berth/protocol': '0.1.0' } }),
  'packages/core/src/index.ts': [
    "import { WORKSPACE_AGENT_LIMITS, commandRequest } from '@berth/protocol';",
    "import * as z from '@berth/protocol/validation';",
    'export const settings = z.object({});',
    "import { readFile } from 'node:fs/promises';",
    "import { local } from './local.js';",
    "// import { EcsRuntime } from '@berth/aws'; (a comment is not an import)",
    'const s = "import x from \'@aws-sdk/client-s3\'";',
  ].join('\n'),
  'packages/protocol/package.json': JSON.stringify({ dependencies: { zod: '4' } }),
  'packages/protocol/src/index.ts': "import { z } from 'zod/mini';\nimport { Readable } from 'node:stream';",
  'packages/protocol/src/api/commands.ts':
    "import * as z from 'zod/mini';\nexport const commandRequest = z.strictObject({ cmd: z.array(z.string()) });",
  'packages/sdk/package.json': JSON.stringify({ name: '@berth/sdk' }),
  // The SDK's bundle inlines the protocol's zod-free client entry (packages/sdk/scripts/bundle.mjs).
  'packages/sdk/src/index.ts':
    "import type { CommandResult } from '@berth/protocol';\nimport { SseDecoder } from '@berth/protocol/client';\nexport * from './client.js';",
  'workspace-image/package.json': JSON.stringify({ dependencies: { '@berth/protocol': '0.1.0' } }),
  'workspace-image/src/index.ts': "import { WORKSPACE_AGENT_ENV } from '@berth/protocol';",
};

/** [what is planted, file, content, the violation reported] */
const PLANTED: [string, string, string, RegExp][] = [
  [
    'core imports an adapter',
    'packages/core/src/bad.ts',
    "import { EcsRuntime } from '@berth/aws';",
    /bad\.ts:1: imports @berth\/aws/,
  ],
  [
    'core re-exports the agent',
    'packages/core/src/bad.ts',
    "\n\nexport type { CommandResult } from '@berth/workspace-agent';",
    /bad\.ts:3: imports @berth\/workspace-agent/,
  ],
  [
    'core loads the AWS SDK lazily',
    'packages/core/src/deep/bad.ts',
    "export const s3 = () => import('@aws-sdk/client-s3');",
    /deep\/bad\.ts:1: imports @aws-sdk\/client-s3/,
  ],
  [
    'core requires dockerode',
    'packages/core/src/bad.cts',
    "const D = require('dockerode');",
    /imports dockerode/,
  ],
  [
    'core declares local-docker',
    'packages/core/package.json',
    JSON.stringify({ dependencies: { '@berth/local-docker': '0.1.0' } }),
    /packages\/core\/package\.json: declares the dependency @berth\/local-docker/,
  ],
  [
    'protocol imports core',
    'packages/protocol/src/bad.ts',
    "import type { X } from '@berth/core';",
    /imports @berth\/core/,
  ],
  ['protocol imports a library', 'packages/protocol/src/bad.ts', "import ms from 'ms';", /imports ms/],
  [
    'protocol declares more than zod',
    'packages/protocol/package.json',
    JSON.stringify({ dependencies: { zod: '4', ajv: '8' } }),
    /declares the dependency ajv/,
  ],
  [
    // Only the protocol's index is inlined into the SDK's bundle; its validation subpath is zod itself.
    'the SDK loads zod through the protocol at run time',
    'packages/sdk/src/bad.ts',
    "import * as z from '@berth/protocol/validation';",
    /bad\.ts:1: imports @berth\/protocol\/validation at run time/,
  ],
  [
    'the SDK loads another package at run time',
    'packages/sdk/src/bad.ts',
    "import ms from 'ms';",
    /bad\.ts:1: imports ms at run time/,
  ],
  [
    'the SDK imports types of core',
    'packages/sdk/src/bad.ts',
    "import type { X } from '@berth/core';",
    /imports types from @berth\/core/,
  ],
  [
    'the SDK declares a dependency',
    'packages/sdk/package.json',
    JSON.stringify({ dependencies: { '@berth/protocol': '0.1.0' } }),
    /declares the dependency @berth\/protocol/,
  ],
  [
    'core imports zod itself',
    'packages/core/src/bad.ts',
    "import { z } from 'zod';",
    /bad\.ts:1: imports zod \(only packages\/protocol imports zod/,
  ],
  [
    'the agent imports zod/mini itself',
    'workspace-image/src/bad.ts',
    "import * as z from 'zod/mini';",
    /imports zod\/mini \(only packages\/protocol/,
  ],
  [
    'functions declares zod',
    'packages/functions/package.json',
    JSON.stringify({ dependencies: { zod: '4' } }),
    /packages\/functions\/package\.json: declares the dependency zod/,
  ],
  [
    'the agent re-declares a schema the protocol owns',
    'workspace-image/src/bad.ts',
    "import * as z from '@berth/protocol/validation';\nexport const commandRequest = z.object({});",
    /bad\.ts:2: declares commandRequest, a schema packages\/protocol owns/,
  ],
  [
    'the agent imports core',
    'workspace-image/src/bad.ts',
    "export { ApiError } from '@berth/core';",
    /imports @berth\/core/,
  ],
];

let root: string;

async function plant(files: Record<string, string>) {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-deps-'));
  await plant(CLEAN);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('check-dependencies', () => {
  it('passes on a tree that keeps every rule (comments and strings are not imports)', () => {
    expect(checkDependencies(root)).toEqual([]);
  });

  it.each(PLANTED)('fails when %s', async (_what, file, content, expected) => {
    await plant({ [file]: content });
    const lines = checkDependencies(root).map((v) => `${v.file}${v.line ? `:${v.line}` : ''}: ${v.message}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
  });

  it('exits 1 with the violation on a planted tree, 0 on the repo (what `npm run lint` runs)', async () => {
    await plant({ 'packages/core/src/bad.ts': "import Docker from 'dockerode';" });
    const planted = await promisify(execFile)(process.execPath, [SCRIPT, root]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(planted.code).toBe(1);
    expect(planted.stderr).toMatch(/packages\/core\/src\/bad\.ts:1: imports dockerode/);

    const repo = await promisify(execFile)(process.execPath, [SCRIPT, REPO]);
    expect(repo.stdout).toMatch(/keep their dependency rules/);
  });
});
