import { spawn, spawnSync } from 'node:child_process';

export type Log = (message: string) => void;

export interface HostCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called per output line (stdout and stderr) while the command runs; otherwise output is only kept for errors. */
  onLine?: (line: string) => void;
}

export interface HostCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion without a shell; never throws for a non-zero exit. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: HostCommandOptions = {},
): Promise<HostCommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const feed = (chunk: Buffer, isErr: boolean, partial: { rest: string }): void => {
      const text = chunk.toString('utf8');
      if (isErr) stderr += text;
      else stdout += text;
      if (!opts.onLine) return;
      const lines = (partial.rest + text).split('\n');
      partial.rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) opts.onLine(line);
    };
    const outRest = { rest: '' };
    const errRest = { rest: '' };
    child.stdout.on('data', (c: Buffer) => feed(c, false, outRest));
    child.stderr.on('data', (c: Buffer) => feed(c, true, errRest));
    child.on('error', reject);
    child.on('close', (code) => {
      for (const r of [outRest, errRest]) if (opts.onLine && r.rest.trim()) opts.onLine(r.rest);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Like `run`, but throws with the command's output tail when it fails. */
export async function mustRun(
  cmd: string,
  args: readonly string[],
  opts: HostCommandOptions = {},
): Promise<HostCommandResult> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    const tail = (res.stderr + res.stdout).trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${res.code}\n${tail}`);
  }
  return res;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Label value of a local image, '' when the label is unset, undefined when the image does not exist. */
export async function imageLabel(image: string, label: string): Promise<string | undefined> {
  const res = await run('docker', [
    'image',
    'inspect',
    '--format',
    `{{ index .Config.Labels "${label}" }}`,
    image,
  ]);
  if (res.code !== 0) return undefined;
  const v = res.stdout.trim();
  return v === '<no value>' ? '' : v;
}

export async function imageId(image: string): Promise<string | undefined> {
  const res = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image]);
  return res.code === 0 ? res.stdout.trim() : undefined;
}

export function elapsed(startMs: number): string {
  return `${((Date.now() - startMs) / 1000).toFixed(1)}s`;
}

/** Removes an image replaced by a rebuild; best effort, as a container may still use it. */
export async function removeReplaced(oldId: string | undefined, image: string): Promise<void> {
  if (oldId && oldId !== (await imageId(image))) await run('docker', ['image', 'rm', oldId]);
}
