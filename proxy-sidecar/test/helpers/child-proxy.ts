import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Source entry point, run through tsx so tests need no build. */
export const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** `node` arguments that run a TypeScript file. */
export const TSX_ARGS = ['--import', 'tsx'];

/** A proxy running as its own process (as in production), with its stdout parsed as JSON lines. */
export interface ChildProxy {
  child: ChildProcess;
  port: number;
  /** Every JSON line printed so far (audit lines have `message: "egress"`). */
  lines: Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * Runs `src/main.ts` with these variables on top of a minimal environment (and extra `node` flags);
 * resolves once it listens.
 */
export function spawnProxy(env: Record<string, string>, nodeArgs: string[] = []): Promise<ChildProxy> {
  const child = spawn(process.execPath, [...TSX_ARGS, ...nodeArgs, MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`proxy did not start: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}: ${stderr}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          continue;
        }
        const last = lines[lines.length - 1];
        if (last?.['message'] === 'proxy listening') {
          clearTimeout(timer);
          const port = Number(String(last['listen']).split(':').pop());
          resolve({
            child,
            port,
            lines,
            stop: () =>
              new Promise<void>((done) => {
                if (child.exitCode !== null) return done();
                child.once('exit', () => done());
                child.kill('SIGTERM');
              }),
          });
        }
      }
    });
  });
}
