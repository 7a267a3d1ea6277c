#!/usr/bin/env node
// Runs a command under Node 22: `node scripts/with-node22.mjs vitest run`. Node 22 (scripts/node22.mjs)
// goes first on PATH, so `node ...`, the command's `#!/usr/bin/env node` and every `node` it starts are
// Node 22; node_modules/.bin follows, as under `npm run`. Exit status and signals pass through.

import { spawn } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { node22 } from './node22.mjs';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/with-node22.mjs <command> [args...]');
  process.exit(2);
}

let node;
try {
  node = node22({ log: (msg) => console.error(`[node22] ${msg}`) });
} catch (e) {
  console.error(`[node22] ERROR: ${e.message}`);
  process.exit(1);
}

const bins = fileURLToPath(new URL('../node_modules/.bin', import.meta.url));
const PATH = [dirname(node), bins, process.env.PATH].filter(Boolean).join(delimiter);
const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, PATH } });

// A signal sent to this process (`kill <pid>`) goes on to the command. Ctrl-C reaches both through the
// terminal's process group; the command then sees SIGINT twice, which Node servers and vitest tolerate.
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const forward = (signal) => child.kill(signal);
for (const signal of forwarded) process.on(signal, forward);

child.on('error', (e) => {
  console.error(`[node22] ${command}: ${e.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (code !== null) process.exit(code);
  // Die of the same signal, so the caller (npm, a shell, CI) sees what happened to the command.
  for (const s of forwarded) process.off(s, forward);
  process.kill(process.pid, signal);
});
