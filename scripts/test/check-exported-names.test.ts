import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkExportedNames, exportedNames } from '../check-exported-names.mjs';

const SCRIPT = fileURLToPath(new URL('../check-exported-names.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Three packages that share no exported name; re-exports and the allowed names do not count. */
const CLEAN: Record<string, string> = {
  'package.json': JSON.stringify({ workspaces: ['packages/protocol', 'packages/sdk', 'packages/functions'] }),
  'packages/protocol/src/index.ts': [
    'export interface CommandResult { exitCode: number }',
    'export const COMMAND_BINARY_HEADERS = {};',
  ].join('\n'),
  // The SDK restates nothing: it re-exports the protocol's type under the same name (the same thing).
  'packages/sdk/src/index.ts': [
    "import type { CommandResult } from '@berth/protocol';",
    'export type { CommandResult };',
    "export { COMMAND_BINARY_HEADERS } from '@berth/protocol';",
    'export class BerthError extends Error {}',
  ].join('\n'),
  'packages/functions/src/lambda/api.ts': 'export const handler = () => {};',
  'packages/functions/src/lambda/sweep.ts': 'export const handler = () => {};\nexport default handler;',
};

/** [what is planted, file, content, the collision reported] */
const PLANTED: [string, string, string, RegExp][] = [
  [
    'a second package declares a type of the same name',
    'packages/functions/src/bad.ts',
    'export type CommandResult = { ok: boolean };',
    /^CommandResult is exported by packages\/protocol and packages\/functions \(packages\/protocol\/src\/index\.ts:1 and packages\/functions\/src\/bad\.ts:1\)/,
  ],
  [
    'an error class of the same name',
    'packages/functions/src/deep/errors.ts',
    '\nexport class BerthError extends Error {}',
    /^BerthError is exported by packages\/sdk and packages\/functions \(.*packages\/functions\/src\/deep\/errors\.ts:2\)/,
  ],
  [
    'a local declaration exported by name',
    'packages/functions/src/bad.ts',
    'const COMMAND_BINARY_HEADERS = {};\nexport { COMMAND_BINARY_HEADERS };',
    /^COMMAND_BINARY_HEADERS is exported by packages\/protocol and packages\/functions/,
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
  root = await mkdtemp(join(tmpdir(), 'berth-names-'));
  await plant(CLEAN);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('check-exported-names', () => {
  it('passes when no name is exported by two packages (re-exports, handler and default allowed)', () => {
    expect(checkExportedNames(root)).toEqual([]);
  });

  it.each(PLANTED)('fails when %s', async (_what, file, content, expected) => {
    await plant({ [file]: content });
    const messages = checkExportedNames(root).map((c) => c.message);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(expected);
  });

  it('counts declarations of every kind, and re-exports of imports not at all', () => {
    const text = [
      "import { imported } from './x.js';",
      'export const a = 1, b = 2;',
      'export let c = 3;',
      'export function d() {}',
      'export class E {}',
      'export interface F {}',
      'export type G = string;',
      'export enum H { x }',
      'const own = 1;',
      'export { own as renamed, imported };',
      "export { other } from './y.js';",
      "export * from './z.js';",
    ].join('\n');
    expect(exportedNames('f.ts', text).map((n) => n.name)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'E',
      'F',
      'G',
      'H',
      'renamed',
    ]);
  });

  it('exits 1 naming both places on a planted tree, 0 on the repo (what `npm run lint` runs)', async () => {
    await plant({ 'packages/functions/src/bad.ts': 'export interface CommandResult {}' });
    const planted = await promisify(execFile)(process.execPath, [SCRIPT, root]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(planted.code).toBe(1);
    expect(planted.stderr).toMatch(
      /packages\/protocol\/src\/index\.ts:1 and packages\/functions\/src\/bad\.ts:1/,
    );

    const repo = await promisify(execFile)(process.execPath, [SCRIPT, REPO]);
    expect(repo.stdout).toMatch(/every exported name belongs to one package/);
  });
});
