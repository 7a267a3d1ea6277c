#!/usr/bin/env node
// Bundles each Lambda entry (packages/functions/src/lambda/*.ts exporting `handler`) the way SST deploys it
// (esbuild, ESM, minified, node22, `@aws-sdk/*` left to the runtime) and prints each bundle's size (every
// chunk the entry deploys, lazily loaded ones included), with the packages that weigh most in it. Writes nothing: the bundles stay in memory. Run after `tsc -b` (the
// workspace packages resolve to their dist/, as in a deploy); `npm run bundle` does both. Exits 1 when an
// entry is over the budget (BUDGET_KB). `npm run bench` prints the same table (bundleTable).
//
//   node scripts/bundle-lambdas.mjs

import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * What one Lambda entry may weigh, minified: all of its code, every chunk counted (issue 8: every entry, the
 * API handlers included).
 */
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

/**
 * SST v2's options for an ESM Node function (sst/runtime/handlers/node.js), with the deployed target and what
 * sst.config.ts overrides (keepNames off).
 */
const DEPLOYED = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  keepNames: false,
  // Code an entry loads with import() only when a request needs it (the snapshot codec) goes to its own
  // chunk, which a cold start does not load; the budget counts it all the same.
  splitting: true,
  outExtension: { '.js': '.mjs' },
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
    outdir: 'out',
    absWorkingDir: ROOT,
  });
  const outputs = new Map(Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.mjs')));
  // import() targets are entry points too in the metafile: the entry chunk is the one built from `file`.
  const entryPath = [...outputs].find(([, out]) => out.entryPoint === relative(ROOT, file))?.[0];
  if (!entryPath) throw new Error(`esbuild produced no bundle for ${file}`);
  // What a cold start loads: the entry chunk and every chunk it imports statically, transitively (shared chunks
  // that splitting makes count here). Lazy: chunks reached only through import().
  const loaded = new Set([entryPath]);
  for (const path of loaded) {
    for (const imp of outputs.get(path)?.imports ?? []) {
      if (imp.kind === 'import-statement' && outputs.has(imp.path)) loaded.add(imp.path);
    }
  }
  const bytesOf = (paths) => paths.reduce((sum, path) => sum + outputs.get(path).bytes, 0);
  const bytes = bytesOf([...outputs.keys()]);
  const coldStartBytes = bytesOf([...loaded]);
  const byOwner = new Map();
  for (const out of outputs.values()) {
    for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
      const owner = ownerOf(input);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
    }
  }
  const heaviest = [...byOwner.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
  // The SDK clients the bundle loads from the runtime: what the function talks to (no SSM where nothing
  // authenticates, no S3 where nothing touches files).
  const sdk = new Set();
  for (const out of Object.values(result.metafile.outputs)) {
    for (const { path, external } of out.imports) {
      const client = external && path.match(/^@aws-sdk\/(?:client|lib)-(.+)$/)?.[1];
      if (client) sdk.add(client);
    }
  }
  return { bytes, coldStartBytes, heaviest, sdk: [...sdk].sort() };
}

const kb = (bytes) => (bytes / 1024).toFixed(1);

/** Every entry's bundle: `{ entry, bytes, over, heaviest }`, in file order. */
export async function bundleAll(dir = LAMBDA_DIR) {
  const rows = [];
  for (const file of lambdaEntries(dir)) {
    const { bytes, coldStartBytes, heaviest, sdk } = await bundleEntry(file);
    rows.push({
      entry: relative(dir, file),
      bytes,
      coldStartBytes,
      over: bytes > BUDGET_KB * 1024,
      heaviest,
      sdk,
    });
  }
  return rows;
}

/** The rows as a plain-text table (what `npm run bundle` and BENCHMARKS.md show). */
export function bundleTable(rows) {
  const width = Math.max(...rows.map((r) => r.entry.length), 'entry'.length);
  const sdkWidth = Math.max(...rows.map((r) => r.sdk.join(' ').length), 'AWS SDK clients'.length);
  const lines = [
    `Lambda bundles (esbuild ${esbuild.version}, ESM, minified, node22, @aws-sdk/* external), budget ${BUDGET_KB} KB`,
    '',
    `${'entry'.padEnd(width)}  ${'KB'.padStart(7)}  budget  ${'cold KB'.padStart(7)}  ${'AWS SDK clients'.padEnd(sdkWidth)}  heaviest packages (KB)`,
  ];
  for (const r of rows) {
    const budget = r.over ? `> ${BUDGET_KB}` : 'ok';
    const heaviest = r.heaviest.map(([owner, b]) => `${owner} ${kb(b)}`).join(', ');
    const sdk = r.sdk.join(' ').padEnd(sdkWidth);
    lines.push(
      `${r.entry.padEnd(width)}  ${kb(r.bytes).padStart(7)}  ${budget.padEnd(6)}  ${kb(r.coldStartBytes).padStart(7)}  ${sdk}  ${heaviest}`,
    );
  }
  const over = rows.filter((r) => r.over).length;
  lines.push(
    '',
    `${rows.length} entries, ${over} over the ${BUDGET_KB} KB budget (KB: all the code the entry deploys, every`,
    'chunk; cold KB: what a cold start loads, without the chunks import() loads on the first request needing them)',
  );
  return lines.join('\n');
}

async function main() {
  const rows = await bundleAll();
  console.log(bundleTable(rows));
  if (rows.some((r) => r.over)) process.exit(1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
