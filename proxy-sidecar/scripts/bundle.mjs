// Bundles the proxy's three entry points into standalone ESM files for the container image, one image
// for all three (the command picks one):
//   proxy-sidecar/.build/proxy.mjs    the policy-enforcing sidecar (src/main.ts; the image's default)
//   proxy-sidecar/.build/relay.mjs    the workspace task's sidecar on ECS (src/relay/main.ts)
//   proxy-sidecar/.build/gateway.mjs  the shared egress gateway on ECS (src/gateway/main.ts)
//   proxy-sidecar/.build/chunks/       code they share
// Usage: node proxy-sidecar/scripts/bundle.mjs [outdir | file.mjs]
//   (a file.mjs argument bundles the sidecar alone into that file; esbuild comes with the repo's dev dependencies)
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const ENTRIES = {
  proxy: `${root}src/main.ts`,
  relay: `${root}src/relay/main.ts`,
  gateway: `${root}src/gateway/main.ts`,
};

const common = {
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
};

const target = process.argv[2];
if (target?.endsWith('.mjs')) {
  await build({ ...common, entryPoints: [ENTRIES.proxy], outfile: target });
} else {
  const outdir = target ?? `${root}.build`;
  // Chunks are content-hashed: old ones must not pile up in the image.
  rmSync(outdir, { recursive: true, force: true });
  await build({
    ...common,
    entryPoints: ENTRIES,
    outdir,
    outExtension: { '.js': '.mjs' },
    // Shared code in chunks (the image's three programs share most of it). Also required: without it,
    // core's lazy import() makes esbuild defer zod's module set-up, and the gateway fails at load.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
}
