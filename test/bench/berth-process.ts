import { spawn } from 'node:child_process';
import { createWriteStream, openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '@berth/aws/local';

const MAIN = fileURLToPath(new URL('../../local-docker/dist/main.js', import.meta.url));

/**
 * Starts the built local Berth (`local-docker/dist/main.js`, what `npm start` runs) as a child process and
 * resolves once it says where it listens. Its structured logs and EMF metrics go to /dev/null (written, as in
 * real use, but not read).
 */
export async function startBerthProcess(opts: {
  stateDir: string;
  apiKeys: string;
  labelPrefix: string;
  /** More settings (README "Configuration"), e.g. BERTH_DISK_MIB; they win over the ones above. */
  env?: Record<string, string>;
  /** Where its structured logs and EMF metrics go (default /dev/null): to see where a figure's time goes. */
  logFile?: string;
}) {
  const port = await freePort();
  const log = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      BERTH_PORT: String(port),
      BERTH_STATE_DIR: opts.stateDir,
      BERTH_API_KEYS: opts.apiKeys,
      BERTH_LABEL_PREFIX: opts.labelPrefix,
      BERTH_SWEEP_INTERVAL_MS: '60000',
      ...opts.env,
    },
    stdio: ['ignore', log, 'pipe'],
  });
  // The child holds its own copy of the descriptor.
  if (typeof log === 'number') closeSync(log);
  let said = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Berth did not start in 120 s:\n${said}`)), 120_000);
    child.stderr!.on('data', (c: Buffer) => {
      said += c.toString();
      const m = /Berth is running at (\S+)/.exec(said);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Berth exited with ${code} before it was ready:\n${said}`));
    });
  });
  // Its warnings and errors (the logger writes them to stderr) go to the log file too.
  if (opts.logFile) child.stderr!.pipe(createWriteStream(opts.logFile, { flags: 'a' }));
  else child.stderr!.resume();
  const key = opts.apiKeys.split(',')[0]!.split(':')[1]!;
  return {
    url,
    pid: child.pid!,
    /** A call to its API with the first key of `apiKeys` (an object body goes as JSON). */
    request(method: string, p: string, body?: unknown, timeoutMs = 120_000): Promise<Response> {
      return fetch(`${url}${p}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    },
    /** SIGKILL, as a crash: no handler runs. Resolves once the process is gone. */
    async kill() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
