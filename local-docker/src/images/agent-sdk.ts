import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type { Log } from './host-commands.js';

/**
 * The workspace image's npm dependencies, staged from the repo's node_modules into
 * `workspace-image/.build/node_modules/` (the Dockerfile copies that to /opt/berth/agent/node_modules).
 * The pinned Claude Agent SDK ships its CLI as one bundled `cli.js` and an `sdk.mjs` that imports no other
 * package at run time, so it is staged alone; test/e2e/egress.test.ts runs it inside a workspace to prove
 * that stays true. zod (no dependencies of its own) is @berth/protocol's: the agent checks requests with the
 * protocol's schemas, and node_modules/@berth/protocol resolves `zod/mini` from this same node_modules.
 */
export const AGENT_SDK_PACKAGES = ['@anthropic-ai/claude-agent-sdk', 'zod'] as const;

/** Repo-relative staging dir; part of the workspace image's context and hash. */
export const STAGED_MODULES = 'workspace-image/.build/node_modules';

// Vendored native helpers (ripgrep, audio capture) come for every OS; the image is Linux on the engine's
// own architecture, so the macOS and Windows builds are only weight (~20 MB).
const OTHER_OS = new RegExp(`\\${sep}vendor\\${sep}[^${sep}]+\\${sep}[^${sep}]*-(darwin|win32)(\\${sep}|$)`);

/** Copies the SDK package(s) where npm installed them (hoisted or under workspace-image) into the stage. */
export function stageAgentSdk(repoRoot: string, log: Log): void {
  // Resolve as the agent would: from workspace-image, whichever node_modules npm put the package in.
  const require = createRequire(join(repoRoot, 'workspace-image', 'package.json'));
  const stage = join(repoRoot, STAGED_MODULES);
  rmSync(stage, { recursive: true, force: true });
  for (const name of AGENT_SDK_PACKAGES) {
    // The node_modules dirs Node would search; `require.resolve` itself is no help as the package's
    // `exports` do not include package.json.
    const from = (require.resolve.paths(name) ?? [])
      .map((dir) => join(dir, name))
      .find((dir) => existsSync(join(dir, 'package.json')));
    if (!from) throw new Error(`${name} is not installed: run \`npm ci\` at the repository root first`);
    const { version } = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { version: string };
    mkdirSync(dirname(join(stage, name)), { recursive: true });
    cpSync(from, join(stage, name), {
      recursive: true,
      dereference: true,
      filter: (src) => !OTHER_OS.test(src.slice(from.length)),
    });
    log(`[images] workspace: staged ${name}@${version}`);
  }
}
