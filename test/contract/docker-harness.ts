import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { agentPublicKeyText } from '@berth/protocol/agent-token';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { DockerRuntime, type DockerRuntimeOptions } from '../../local-docker/src/runtime/docker-runtime.js';
import { managedFilter } from '../../local-docker/src/runtime/labels.js';
import { unmountAllUnder } from '../../local-docker/src/runtime/workspace-disk.js';
import type { TestImage } from './test-image.js';

/** The agent-token key pair of the runtime tests: their agents check tokens with the public half. */
export const TEST_AGENT_KEYS = generateKeyPairSync('ed25519');
export const TEST_AGENT_PUBLIC_KEY = agentPublicKeyText(TEST_AGENT_KEYS.publicKey);

/**
 * A DockerRuntime on a temp state dir with a label prefix of its own, so a concurrent orphan sweep (or
 * another suite's cleanup) never touches these containers and cleanup touches nothing else.
 */
export interface DockerHarness {
  docker: Dockerode;
  runtime: DockerRuntime;
  stateDir: string;
  labelPrefix: string;
  /** Another runtime on the same state dir and labels, with its own Cmd (crash tests). */
  withCommand(command: string[] | undefined): DockerRuntime;
  /** A plain unlabelled container (created, not started), removed by cleanup. */
  createForeign(): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeDockerHarness(image: TestImage): Promise<DockerHarness> {
  const docker = new Dockerode();
  const run = randomBytes(4).toString('hex');
  const labelPrefix = `test.berth.r${run}`;
  const foreignLabel = `test.berth.foreign=${run}`;
  const stateDir = await mkdtemp(path.join(tmpdir(), 'berth-rt-'));
  const options = (command: string[] | undefined): DockerRuntimeOptions => ({
    docker,
    stateDir,
    agentPublicKey: TEST_AGENT_PUBLIC_KEY,
    labelPrefix,
    namePrefix: `berth-t${run}-`,
    ...(command ? { command } : {}),
  });
  const removeAll = async (label: string) => {
    const found = await docker.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(
      found.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
  };
  return {
    docker,
    runtime: new DockerRuntime(options(image.command)),
    stateDir,
    labelPrefix,
    withCommand: (command) => new DockerRuntime(options(command)),
    async createForeign() {
      const c = await docker.createContainer({
        Image: image.image,
        Cmd: ['sleep', '60'],
        Labels: { 'test.berth.foreign': run },
        HostConfig: { NetworkMode: 'none' },
      });
      return c.id;
    },
    async cleanup() {
      await removeAll(managedFilter(labelPrefix));
      await removeAll(foreignLabel);
      await unmountAllUnder(stateDir); // workspace disks (loop mounts)
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
