// Bundles the sidecar into one ESM file for the container image: proxy-sidecar/.build/proxy.mjs.
// Usage: node proxy-sidecar/scripts/bundle.mjs [outfile]   (esbuild comes with the repo's dev dependencies)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  entryPoints: [`${root}src/main.ts`],
  outfile: process.argv[2] ?? `${root}.build/proxy.mjs`,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  // Some AWS SDK code still calls require(); give the ESM bundle one.
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  logLevel: 'info',
});
