import type { Task } from '@aws-sdk/client-ecs';

export const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/berth-workspaces';
/** When fixture tasks that are STOPPED stopped. */
export const STOPPED_AT = Date.parse('2026-11-22T10:00:05.000Z');

export const TASK_DEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/berth-workspace:7';
export const taskArn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/berth-workspaces/${id}`;

/**
 * A Fargate awsvpc task as DescribeTasks returns it (Task in the ECS API reference; the describe-tasks CLI
 * example): the ENI attachment's details carry the private IP once ECS has attached it.
 */
export function ecsTask(o: {
  id: string;
  lastStatus: string;
  desiredStatus?: string;
  ip?: string;
  workspaceId?: string;
  managed?: boolean;
  stoppedReason?: string;
  containerReason?: string;
  exitCode?: number;
}): Task {
  const arn = taskArn(o.id);
  const stopped = o.lastStatus === 'STOPPED';
  return {
    attachments: [
      {
        id: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
        type: 'ElasticNetworkInterface',
        status: o.ip ? 'ATTACHED' : 'PRECREATED',
        details: [
          { name: 'subnetId', value: 'subnet-0a1b2c3d4e5f6a7b8' },
          ...(o.ip
            ? [
                { name: 'networkInterfaceId', value: 'eni-0123456789abcdef0' },
                { name: 'macAddress', value: '0a:1b:2c:3d:4e:5f' },
                { name: 'privateDnsName', value: `ip-${o.ip.replaceAll('.', '-')}.ec2.internal` },
                { name: 'privateIPv4Address', value: o.ip },
              ]
            : []),
        ],
      },
    ],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: 'us-east-1b',
    clusterArn: CLUSTER,
    connectivity: 'CONNECTED',
    containers: [
      {
        containerArn: `arn:aws:ecs:us-east-1:123456789012:container/berth-workspaces/${o.id}/c1`,
        taskArn: arn,
        name: 'workspace',
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/workspace:latest',
        lastStatus: o.lastStatus,
        networkBindings: [],
        networkInterfaces: o.ip ? [{ attachmentId: 'a1b2c3d4', privateIpv4Address: o.ip }] : [],
        healthStatus: 'UNKNOWN',
        cpu: '0',
        ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
        ...(o.containerReason ? { reason: o.containerReason } : {}),
      },
      {
        containerArn: `arn:aws:ecs:us-east-1:123456789012:container/berth-workspaces/${o.id}/c2`,
        taskArn: arn,
        name: 'proxy',
        lastStatus: o.lastStatus,
        ...(stopped ? { exitCode: 0 } : {}),
      },
    ],
    cpu: '2048',
    memory: '4096',
    desiredStatus: o.desiredStatus ?? (stopped ? 'STOPPED' : 'RUNNING'),
    group: `family:berth-workspace`,
    lastStatus: o.lastStatus,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    platformFamily: 'Linux',
    startedBy: o.workspaceId,
    taskArn: arn,
    taskDefinitionArn: TASK_DEF,
    version: 3,
    ephemeralStorage: { sizeInGiB: 20 },
    ...(o.stoppedReason ? { stoppedReason: o.stoppedReason, stopCode: 'EssentialContainerExited' } : {}),
    ...(stopped ? { stoppingAt: new Date(STOPPED_AT - 2000), stoppedAt: new Date(STOPPED_AT) } : {}),
    tags:
      o.managed === false
        ? [{ key: 'team', value: 'other' }]
        : [
            { key: 'berth:managed', value: 'true' },
            ...(o.workspaceId ? [{ key: 'berth:workspace-id', value: o.workspaceId }] : []),
            { key: 'berth:tenant-id', value: 'tenant-a' },
            { key: 'berth:template', value: 'default' },
          ],
  } as Task;
}
