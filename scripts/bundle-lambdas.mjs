#!/usr/bin/env node
// Bundles each Lambda entry (packages/functions/src/lambda/*.ts exporting `handler`) the way SST deploys it
// (esbuild, ESM, minified, node22, `@aws-sdk/*` left to the runtime) and prints each bundle's size, with the
// packages that weigh most in it. Writes nothing: the bundles stay in memory. Run after `tsc -b` (the
// workspace packages resolve to their dist/, as in a deploy); `npm run bundle` does both.
//
//   node scripts/bundle-lambdas.mjs            the table
//   node scripts/bundle-lambdas.mjs --check    also exit 1 when an entry is over the budget

import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** What one Lambda entry may weigh, minified (issue 8: every entry, the API handlers included). */
export const BUDGET_KB = 150;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAMBDA_DIR = join(ROOT, 'packages/functions/src/lambda');

/** The files of the lambda dir that export a `handler` (helpers such as aws-deps.ts are not entries). */
export function lambdaEntries(dir = LAMBDA_DIR) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(dir, name))
    .filter((file) =>
      /^export\s+(const|let|async\s+function|function)\s+handler\b/m.test(readFileSync(file, 'utf8')),
    )
    .sort();
}

/** SST v2's options for an ESM Node function (sst/runtime/handlers/node.js), with the deployed target. */
const DEPLOYED = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  keepNames: true,
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  banner: {
    js: [
      `import { createRequire as topLevelCreateRequire } from 'module';`,
      `const require = topLevelCreateRequire(import.meta.url);`,
      `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
      `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
    ].join('\n'),
  },
  write: false,
  metafile: true,
  logLevel: 'silent',
};

/** `node_modules/zod/v4/core/x.js` → `zod`; a workspace package's dist → `@berth/<dir>`. */
function ownerOf(input) {
  const parts = input.split('/');
  const nm = parts.lastIndexOf('node_modules');
  if (nm >= 0) return parts[nm + 1]?.startsWith('@') ? `${parts[nm + 1]}/${parts[nm + 2]}` : parts[nm + 1];
  const pkg = input.match(/^(?:packages\/)?([^/]+)\//);
  return pkg ? `(${pkg[1]})` : input;
}

/** Bytes of one entry's bundle, and its heaviest packages (bytes each contributes to the output). */
export async function bundleEntry(file) {
  const result = await esbuild.build({
    ...DEPLOYED,
    entryPoints: [file],
    outfile: 'out/index.mjs',
    absWorkingDir: ROOT,
  });
  const output = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  if (!output) throw new Error(`esbuild produced no bundle for ${file}`);
  const byOwner = new Map();
  for (const out of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
      const owner = ownerOf(input);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
    }
  }
  const heaviest = [...byOwner.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
  return { bytes: output.contents.byteLength, heaviest };
}

const kb = (bytes) => (bytes / 1024).toFixed(1);

async function main() {
  const check = process.argv.includes('--check');
  const rows = [];
  for (const file of lambdaEntries()) {
    const { bytes, heaviest } = await bundleEntry(file);
    rows.push({
      entry: relative(LAMBDA_DIR, file),
      kb: kb(bytes),
      over: bytes > BUDGET_KB * 1024,
      heaviest: heaviest.map(([owner, b]) => `${owner} ${kb(b)}`).join(', '),
    });
  }
  const width = Math.max(...rows.map((r) => r.entry.length), 'entry'.length);
  console.log(`Lambda bundles (esbuild ${esbuild.version}, ESM, minified, node22, @aws-sdk/* external)\n`);
  console.log(`${'entry'.padEnd(width)}  ${'KB'.padStart(7)}  budget  heaviest packages (KB)`);
  for (const r of rows) {
    const budget = r.over ? `> ${BUDGET_KB}` : 'ok';
    console.log(`${r.entry.padEnd(width)}  ${r.kb.padStart(7)}  ${budget.padEnd(6)}  ${r.heaviest}`);
  }
  const over = rows.filter((r) => r.over).length;
  console.log(`\n${rows.length} entries, ${over} over the ${BUDGET_KB} KB budget`);
  if (check && over > 0) process.exit(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
