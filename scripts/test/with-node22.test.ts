import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NODE_MAJOR, node22 } from '../node22.mjs';

const WRAPPER = fileURLToPath(new URL('../with-node22.mjs', import.meta.url));

/** Runs the wrapper under the test's own Node, as `npm test` runs it under the machine's. */
const withNode22 = (...args: string[]) =>
  spawnSync(process.execPath, [WRAPPER, ...args], { encoding: 'utf8' });

describe('with-node22', () => {
  it('runs `node` and the PATH it passes on as Node 22 or newer', () => {
    const direct = withNode22('node', '-p', 'process.versions.node');
    expect(direct.status).toBe(0);
    expect(Number(direct.stdout.split('.')[0])).toBeGreaterThanOrEqual(NODE_MAJOR);
    // A child that starts a bare `node` (as a `#!/usr/bin/env node` script does) gets the same one.
    const nested = withNode22('sh', '-c', 'node -p process.execPath');
    expect(nested.stdout.trim()).toBe(node22());
  });

  it("passes on the command's exit status and signal", () => {
    expect(withNode22('sh', '-c', 'exit 7').status).toBe(7);
    expect(withNode22('sh', '-c', 'kill -TERM $$').signal).toBe('SIGTERM');
    expect(withNode22('no-such-command-berth').status).toBe(127);
  });

  it('forwards a signal it receives to the command', () => {
    // The command reports the SIGTERM it was sent through the wrapper, then exits 3.
    const script =
      "process.on('SIGTERM',()=>process.exit(3));process.kill(process.ppid,'SIGTERM');setTimeout(()=>{},5000)";
    expect(withNode22('node', '-e', script).status).toBe(3);
  });
});
