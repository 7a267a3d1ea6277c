import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests import workspace packages from source, so `vitest` needs no build step of its own.
const alias = {
  '@berth/protocol/openapi.json': src('./packages/protocol/openapi.json'),
  '@berth/protocol/validation': src('./packages/protocol/src/validation.ts'),
  '@berth/protocol/client': src('./packages/protocol/src/client.ts'),
  '@berth/protocol/snapshot-stream': src('./packages/protocol/src/snapshot-stream.ts'),
  '@berth/protocol/agent-token': src('./packages/protocol/src/workspace-agent/agent-token.ts'),
  '@berth/protocol': src('./packages/protocol/src/index.ts'),
  // Subpaths before their package: an alias also matches its subpaths, and the first match wins.
  '@berth/core/file-transfers': src('./packages/core/src/services/file-transfers.ts'),
  '@berth/core': src('./packages/core/src/index.ts'),
  // Before '@berth/aws': an alias also matches its subpaths, and the first match wins.
  '@berth/aws/local': src('./packages/aws/src/local/index.ts'),
  '@berth/aws': src('./packages/aws/src/index.ts'),
  '@berth/functions': src('./packages/functions/src/index.ts'),
  '@berth/sdk': src('./packages/sdk/src/index.ts'),
  '@berth/local-docker': src('./local-docker/src/index.ts'),
  '@berth/proxy-sidecar': src('./proxy-sidecar/src/index.ts'),
  '@berth/workspace-agent': src('./workspace-image/src/index.ts'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'workspace-image/test/**/*.test.ts',
            'proxy-sidecar/test/**/*.test.ts',
            'local-docker/test/**/*.test.ts',
            'stacks/test/**/*.test.ts',
            'scripts/test/**/*.test.ts',
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'docker',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The suites share one Docker engine on a 2-core machine: run files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
