import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

/**
 * The proxy image's programs (the workspace task's relay, the egress gateway) run as another uid than the
 * workspace: RLIMIT_NPROC counts every process of a uid in the kernel, so under one uid a fork bomb in the
 * workspace would also starve the relay (and the relay's threads would count against the workspace's `pids`).
 * The image needs no writable file, so any non-root uid works.
 */
export const PROXY_USER = '1001:1001';

/** Every Berth container: read-only root, not privileged, essential to its task. */
export const HARDENED = {
  readonlyRootFilesystem: true,
  privileged: false,
  essential: true,
} satisfies Partial<ecs.ContainerDefinitionOptions>;

/** An init process (reaps zombies, forwards signals) and every Linux capability dropped. */
export function hardenedLinux(scope: Construct, id: string): ecs.LinuxParameters {
  const params = new ecs.LinuxParameters(scope, id, { initProcessEnabled: true });
  params.dropCapabilities(ecs.Capability.ALL);
  return params;
}

/** A container health check that GETs a loopback URL with the image's node (no curl needed). */
export function httpHealthCheck(url: string): ecs.HealthCheck {
  const script = `fetch(${JSON.stringify(url)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return {
    command: ['CMD', 'node', '-e', script],
    interval: Duration.seconds(30),
    timeout: Duration.seconds(5),
    retries: 3,
    startPeriod: Duration.seconds(10),
  };
}
