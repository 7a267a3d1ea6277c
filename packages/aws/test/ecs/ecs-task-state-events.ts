import type { EcsTaskStateChangeEvent } from '@berth/aws';

export const TASK_ARN =
  'arn:aws:ecs:us-east-1:123456789012:task/berth-cluster/0b69d5c0d3b8420a8a3f3e7d0f6d1a2b';

/**
 * An EventBridge "ECS Task State Change" event in the shape the ECS developer guide documents
 * (ecs_task_events): the envelope, then the task in `detail` with its containers.
 */
export function ecsEvent(
  detail: Partial<EcsTaskStateChangeEvent['detail']> & Record<string, unknown>,
): EcsTaskStateChangeEvent {
  return {
    version: '0',
    id: '3317b2af-7005-947d-b652-f55e762e571a',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '123456789012',
    time: '2025-01-15T16:12:01Z',
    region: 'us-east-1',
    resources: [TASK_ARN],
    detail: {
      attachments: [
        {
          id: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
          type: 'eni',
          status: 'ATTACHED',
          details: [
            { name: 'subnetId', value: 'subnet-abcd1234' },
            { name: 'networkInterfaceId', value: 'eni-abcd1234' },
            { name: 'privateIPv4Address', value: '10.0.1.23' },
          ],
        },
      ],
      availabilityZone: 'us-east-1b',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/berth-cluster',
      connectivity: 'CONNECTED',
      connectivityAt: '2025-01-15T16:10:11.233Z',
      containers: [
        {
          containerArn: 'arn:aws:ecs:us-east-1:123456789012:container/berth-cluster/0b69d5c0/6a3d2a01',
          lastStatus: 'RUNNING',
          name: 'workspace',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/workspace:latest',
          runtimeId: '0b69d5c0d3b8420a8a3f3e7d0f6d1a2b-1234567',
          taskArn: TASK_ARN,
          networkInterfaces: [
            { attachmentId: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8', privateIpv4Address: '10.0.1.23' },
          ],
          cpu: '2048',
          memory: '2048',
        },
        {
          containerArn: 'arn:aws:ecs:us-east-1:123456789012:container/berth-cluster/0b69d5c0/9f1e2b03',
          lastStatus: 'RUNNING',
          name: 'proxy',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/proxy:latest',
          taskArn: TASK_ARN,
          cpu: '0',
        },
      ],
      cpu: '2048',
      createdAt: '2025-01-15T16:10:05.512Z',
      desiredStatus: 'RUNNING',
      enableExecuteCommand: false,
      group: 'family:berth-workspace',
      launchType: 'FARGATE',
      lastStatus: 'RUNNING',
      memory: '4096',
      overrides: { containerOverrides: [{ name: 'workspace' }, { name: 'proxy' }] },
      platformVersion: '1.4.0',
      pullStartedAt: '2025-01-15T16:10:20.001Z',
      pullStoppedAt: '2025-01-15T16:10:31.774Z',
      startedAt: '2025-01-15T16:10:35.102Z',
      startedBy: 'ws_m5x2k1a0c3b4d5e6f7a8b9c0d1e2',
      taskArn: TASK_ARN,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/berth-workspace:7',
      updatedAt: '2025-01-15T16:10:35.102Z',
      version: 2,
      ...detail,
    } as EcsTaskStateChangeEvent['detail'],
  } as EcsTaskStateChangeEvent;
}

/** The task STOPPED; `containers[i]` overrides its i-th container (0: `workspace`, 1: the `proxy` sidecar). */
export function stoppedEvent(containers: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  const running = ecsEvent({}).detail.containers!;
  return ecsEvent({
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    stoppingAt: '2025-01-15T16:12:00.120Z',
    stoppedAt: '2025-01-15T16:12:01.400Z',
    executionStoppedAt: '2025-01-15T16:12:00.890Z',
    version: 4,
    containers: running.map((c, i) => ({ ...c, lastStatus: 'STOPPED', ...containers[i] })),
    ...extra,
  });
}
