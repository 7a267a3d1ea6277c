// The published form of @berth/sdk: one ES module and one .d.ts, with the parts of @berth/protocol the SDK uses
// (wire types, error codes, the SSE decoder) inlined, so that the package installs with zero dependencies.
// Runs after `tsc -b` (which type-checks the SDK and builds the protocol's dist) and replaces tsc's entry files
// dist/index.js and dist/index.d.ts, the only files the package ships. Fails if anything but the SDK's source
// and the protocol's code went into the bundle (zod above all), or if the types still import a package.
//
//   node scripts/bundle.mjs

import { writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDtsBundle } from 'dts-bundle-generator';
import { build } from 'esbuild';

const sdk = fileURLToPath(new URL('..', import.meta.url));
const protocol = join(sdk, '..', 'protocol');
const entry = join(sdk, 'src', 'index.ts');

const { metafile } = await build({
  absWorkingDir: sdk,
  entryPoints: [entry],
  outfile: join(sdk, 'dist', 'index.js'),
  bundle: true,
  format: 'esm',
  // Any fetch runtime: Node, browsers, edge workers.
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: 'es2022',
  // The protocol's Node-only modules (the snapshot format) are left out by tree-shaking; checked below.
  external: ['node:*'],
  metafile: true,
  logLevel: 'warning',
});
const allowed = [join(sdk, 'src') + sep, join(protocol, 'dist') + sep];
// What the output holds (esbuild reads more, e.g. the zod behind protocol modules that tree-shaking drops).
const foreign = Object.values(metafile.outputs)
  .flatMap((output) => Object.entries(output.inputs).filter(([, use]) => use.bytesInOutput > 0))
  .map(([input]) => join(sdk, input))
  .filter((file) => !allowed.some((dir) => file.startsWith(dir)));
const kept = Object.values(metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
if (kept.length > 0) throw new Error(`the SDK bundle still imports ${kept.join(', ')}`);
if (foreign.length > 0) {
  const list = foreign.map((f) => relative(sdk, f)).join(', ');
  throw new Error(`the SDK bundle may carry only its own code and @berth/protocol's, not: ${list}`);
}

const [types] = generateDtsBundle(
  [
    {
      filePath: entry,
      libraries: { inlinedLibraries: ['@berth/protocol'] },
      output: { noBanner: true, exportReferencedTypes: false },
    },
  ],
  { preferredConfigPath: join(sdk, 'tsconfig.json') },
);
const imports = [...types.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]/gm)].map(
  (m) => m[1],
);
if (imports.length > 0) throw new Error(`the SDK's bundled types still import ${imports.join(', ')}`);
writeFileSync(join(sdk, 'dist', 'index.d.ts'), types);
