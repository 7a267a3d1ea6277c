import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';

export interface DockerExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** `docker exec` as the agent's uid (never root): the checks see what a workspace command sees. */
export async function execIn(
  docker: Dockerode,
  taskRef: string,
  cmd: string[],
  user = '1000:1000',
): Promise<DockerExecResult> {
  const exec = await docker.getContainer(taskRef).exec({
    Cmd: cmd,
    User: user,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return {
    exitCode: info.ExitCode,
    stdout: Buffer.concat(chunks.out).toString('utf8'),
    stderr: Buffer.concat(chunks.err).toString('utf8'),
  };
}

/** Runs a shell snippet. */
export const sh = (docker: Dockerode, taskRef: string, script: string) =>
  execIn(docker, taskRef, ['sh', '-c', script]);
