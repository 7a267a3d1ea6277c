import { generateKeyPairSync } from 'node:crypto';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { templateSchema } from '../../packages/core/src/config.js';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import { Network, WORKSPACE_PORTS } from '../Network.js';
import { berthSettings, SettingsError } from '../settings.js';
import {
  CONTAINER_NAMES,
  ECS_AGENT_CONFIG,
  RELAY_COMMAND,
  WORKSPACE_VOLUMES,
  Workspaces,
} from '../Workspaces.js';
import { nag, type NagReport } from './nag.js';
import { synthStacks, withBerthEnv } from './synth.js';
import { SIDECAR_ADMIN } from '../../packages/protocol/src/egress/sidecar-admin.js';
import { loadRelayConfigFromEnv } from '../../proxy-sidecar/src/relay/relay-config.js';
import { WORKSPACE_AGENT_ENV } from '../../packages/protocol/src/workspace-agent/env.js';
import { agentPublicKeyParameterName } from '../operator-secrets.js';

const STACKS = [Data, Network, EgressGateway, Workspaces];

const synthWorkspaces = (vars: Record<string, string> = {}) =>
  withBerthEnv(vars, async () => (await synthStacks(STACKS)).get(Workspaces)!);

interface ContainerDefinition {
  Name: string;
  User?: string;
  ReadonlyRootFilesystem?: boolean;
  Privileged?: boolean;
  Memory?: number;
  Environment?: { Name: string; Value: string }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  LinuxParameters?: { InitProcessEnabled?: boolean; Capabilities?: { Drop?: string[]; Add?: string[] } };
  Ulimits?: { Name: string; SoftLimit: number; HardLimit: number }[];
  MountPoints?: { ContainerPath: string; SourceVolume: string; ReadOnly: boolean }[];
  DependsOn?: { ContainerName: string; Condition: string }[];
  LogConfiguration?: { LogDriver: string; Options: Record<string, unknown> };
  HealthCheck?: { Command: string[] };
  Image: unknown;
  Command?: string[];
}

function taskDefinition(template: Template) {
  const defs = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  expect(defs).toHaveLength(1);
  return (
    defs[0] as { Properties: Record<string, unknown> & { ContainerDefinitions: ContainerDefinition[] } }
  ).Properties;
}

const container = (template: Template, name: string) =>
  taskDefinition(template).ContainerDefinitions.find((c) => c.Name === name)!;
const env = (c: ContainerDefinition) =>
  Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));

describe('Workspaces stack (Fargate, the default)', () => {
  let template: Template;
  beforeAll(async () => {
    template = await synthWorkspaces();
  }, 120_000);

  it('has one cluster with enhanced Container Insights and the Fargate capacity providers', () => {
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE']),
    });
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
  });

  it('defines one arm64 awsvpc Fargate task of two containers, workspace and proxy', () => {
    const td = taskDefinition(template);
    expect(td.ContainerDefinitions.map((c) => c.Name).sort()).toEqual(
      [CONTAINER_NAMES.proxy, CONTAINER_NAMES.workspace].sort(),
    );
    expect(td.NetworkMode).toBe('awsvpc');
    expect(td.RequiresCompatibilities).toEqual(['FARGATE']);
    expect(td.RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
  });

  it('gives the task no task role: only the execution role', () => {
    const td = taskDefinition(template);
    expect(td).not.toHaveProperty('TaskRoleArn');
    expect(td.ExecutionRoleArn).toBeDefined();
    // The only role ECS tasks may assume is the execution role.
    const taskRoles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } }),
          ]),
        },
      },
    });
    expect(Object.keys(taskRoles)).toEqual([expect.stringMatching(/^ExecutionRole/)]);
  });

  it('lets the execution role only pull images, write logs and read the agent-token public key', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^ExecutionRole') }] },
    });
    type Statement = { Action: string | string[]; Resource: unknown };
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions)
      expect(action).toMatch(
        /^(ecr:(BatchCheckLayerAvailability|GetDownloadUrlForLayer|BatchGetImage|GetAuthorizationToken)|logs:(CreateLogStream|PutLogEvents)|ssm:(DescribeParameters|GetParameters|GetParameter|GetParameterHistory))$/,
      );
    // The SSM reads name the one public-key parameter of this stage.
    for (const s of statements.filter((x) => [x.Action].flat().some((a) => a.startsWith('ssm:'))))
      expect(JSON.stringify(s.Resource)).toContain(`parameter${agentPublicKeyParameterName('test')}`);
  });

  it('gives the agent its token public key from SSM at start, and no token or secret in its environment', () => {
    const agent = taskDefinition(template).ContainerDefinitions.find((c) => c.Name === 'workspace')!;
    expect(agent.Secrets?.map((x) => x.Name)).toEqual([WORKSPACE_AGENT_ENV.tokenPublicKey]);
    expect(JSON.stringify(agent.Secrets)).toContain(`parameter${agentPublicKeyParameterName('test')}`);
    const names = (agent.Environment ?? []).map((e) => e.Name);
    expect(names.some((n) => /TOKEN|SECRET|KEY/.test(n))).toBe(false);
  });

  it('hardens both containers: read-only root, non-root user, all capabilities dropped, an init process', () => {
    for (const c of taskDefinition(template).ContainerDefinitions) {
      expect(c.ReadonlyRootFilesystem, c.Name).toBe(true);
      expect(c.Privileged, c.Name).toBe(false);
      expect(c.User, c.Name).toMatch(/^[1-9]\d*:[1-9]\d*$/);
      expect(c.LinuxParameters?.InitProcessEnabled, c.Name).toBe(true);
      expect(c.LinuxParameters?.Capabilities?.Drop, c.Name).toEqual(['ALL']);
      expect(c.LinuxParameters?.Capabilities?.Add ?? [], c.Name).toEqual([]);
    }
    // Different uids: RLIMIT_NPROC is per uid, so the workspace cannot exhaust the proxy's processes.
    expect(container(template, 'workspace').User).toBe('1000:1000');
    expect(container(template, 'proxy').User).not.toBe(container(template, 'workspace').User);
  });

  it('sizes the task from the settings and the workspace container from the template defaults', () => {
    const defaults = templateSchema.parse({});
    const td = taskDefinition(template);
    expect(td.Cpu).toBe(String(defaults.cpus * 1024));
    // 2 vCPU needs at least 4 GiB on Fargate; the workspace container keeps the template's 2 GiB.
    expect(td.Memory).toBe('4096');
    expect(container(template, 'workspace').Memory).toBe(defaults.memoryMiB);
    // Fargate's minimum ephemeral storage (the local diskMiB default, 5120, is below it).
    expect(td.EphemeralStorage).toEqual({ SizeInGiB: 21 });
    expect(defaults.diskMiB).toBeLessThan(21 * 1024);
    const ulimits = Object.fromEntries(
      (container(template, 'workspace').Ulimits ?? []).map((u) => [u.Name, u]),
    );
    expect(ulimits.nproc).toEqual({ Name: 'nproc', SoftLimit: defaults.pids, HardLimit: defaults.pids });
    expect(ulimits.nofile?.HardLimit).toBeGreaterThan(0);
  });

  it('mounts every writable path of the workspace as an ephemeral task volume', () => {
    const td = taskDefinition(template) as { Volumes?: { Name: string; Host?: unknown }[] };
    const mounts = container(template, 'workspace').MountPoints ?? [];
    expect(mounts.map((m) => m.ContainerPath).sort()).toEqual(Object.values(WORKSPACE_VOLUMES).sort());
    for (const m of mounts) {
      expect(m.ReadOnly).toBe(false);
      // No host path and no EFS: storage of the task itself, gone with it.
      expect(td.Volumes?.find((v) => v.Name === m.SourceVolume)).toEqual({ Name: m.SourceVolume });
    }
    expect(container(template, 'proxy').MountPoints ?? []).toEqual([]);
  });

  it('runs the agent over HTTP on its port behind the relay, which the control plane reaches on its admin port', () => {
    const workspace = container(template, 'workspace');
    expect(env(workspace)).toMatchObject({
      AGENT_LISTEN_MODE: 'http',
      AGENT_PORT: String(WORKSPACE_PORTS.agent),
      AGENT_WORKSPACE_DIR: WORKSPACE_VOLUMES.files,
      AGENT_PROXY_URL: 'http://127.0.0.1:8080',
    });
    // Per-task secrets come with RunTask, never in the task definition.
    expect(env(workspace)).not.toHaveProperty('AGENT_TOKEN');
    expect(WORKSPACE_PORTS.proxyAdmin).toBe(SIDECAR_ADMIN.port);
    expect(workspace.DependsOn).toEqual([{ ContainerName: 'proxy', Condition: 'START' }]);
    expect(workspace.HealthCheck?.Command.join(' ')).toContain(`127.0.0.1:${WORKSPACE_PORTS.agent}/health`);
  });

  it('runs the relay to the egress gateway, with the public key as its only secret and a health check without one', () => {
    const relay = container(template, 'proxy');
    expect(relay.Command).toEqual(RELAY_COMMAND);
    expect(env(relay)).toEqual({
      PROXY_LISTEN: '127.0.0.1:8080',
      PROXY_ADMIN_LISTEN: `0.0.0.0:${SIDECAR_ADMIN.port}`,
      // The gateway's internal load balancer, on the proxy port.
      PROXY_GATEWAY: {
        'Fn::Join': [
          '',
          [
            { 'Fn::ImportValue': expect.stringMatching(/EgressGateway:.*GatewayLoadBalancer.*DNSName/) },
            ':3128',
          ],
        ],
      },
    });
    expect(relay.Secrets?.map((x) => x.Name)).toEqual(['PROXY_TOKEN_PUBLIC_KEY']);
    expect(JSON.stringify(relay.Secrets)).toContain(`parameter${agentPublicKeyParameterName('test')}`);
    const check = relay.HealthCheck?.Command.join(' ') ?? '';
    expect(check).toContain(`http://127.0.0.1:${SIDECAR_ADMIN.port}${SIDECAR_ADMIN.healthPath}`);
    expect(check).not.toMatch(/authorization|process\.env/i);
    // The per-task admin secret of the old sidecar is gone everywhere.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/ADMIN_SECRET/);
  });

  it('gives the relay an environment its program accepts once RunTask adds the workspace id', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const config = loadRelayConfigFromEnv({
      ...env(container(template, 'proxy')),
      // The load balancer's DNS name at deploy time.
      PROXY_GATEWAY: 'internal-gateway-123.elb.us-east-1.amazonaws.com:3128',
      PROXY_TOKEN_PUBLIC_KEY: publicKey.export({ format: 'jwk' }).x!,
      PROXY_WORKSPACE_ID: 'ws_123',
    } as Record<string, string>);
    expect(config.adminListen).toMatchObject({ port: SIDECAR_ADMIN.port });
    expect(config.gateway).toEqual({ host: 'internal-gateway-123.elb.us-east-1.amazonaws.com', port: 3128 });
  });

  it('points the agent at the Anthropic API through the relay, with no key (Anthropic mode, the default)', () => {
    const agentEnv = env(container(template, 'workspace'));
    expect(agentEnv[WORKSPACE_AGENT_ENV.anthropicBaseUrl]).toBe('http://api.anthropic.com');
    for (const name of [
      WORKSPACE_AGENT_ENV.anthropicApiKey,
      WORKSPACE_AGENT_ENV.bedrockRegion,
      WORKSPACE_AGENT_ENV.bedrockBaseUrl,
      WORKSPACE_AGENT_ENV.model,
    ])
      expect(agentEnv, name).not.toHaveProperty(name);
    expect(JSON.stringify(template.toJSON())).not.toContain('anthropic-api-key');
  });

  it('builds both images from the repository as assets (pushed at deploy, not built at synth)', () => {
    const images = taskDefinition(template).ContainerDefinitions.map((c) => JSON.stringify(c.Image));
    for (const image of images) expect(image).toContain('container-assets');
    expect(new Set(images).size).toBe(2);
  });

  it('logs each container to its own log group with a retention', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    for (const c of taskDefinition(template).ContainerDefinitions) {
      expect(c.LogConfiguration?.LogDriver).toBe('awslogs');
      expect(c.LogConfiguration?.Options['awslogs-group']).toEqual({ Ref: expect.stringMatching(/Logs/) });
    }
  });
});

describe('Workspaces stack in Bedrock mode (BERTH_MODEL_PROVIDER=bedrock)', () => {
  const MODELS = ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'anthropic.claude-3-5-haiku-20241022-v1:0'];
  let template: Template;
  beforeAll(async () => {
    template = await synthWorkspaces({
      BERTH_MODEL_PROVIDER: 'bedrock',
      BERTH_BEDROCK_REGION: 'us-west-2',
      BERTH_BEDROCK_MODELS: MODELS.join(','),
    });
  }, 120_000);

  it("points the agent at the region's Bedrock runtime through the relay, with the first model as its default", () => {
    const agentEnv = env(container(template, 'workspace'));
    expect(agentEnv).toMatchObject({
      [WORKSPACE_AGENT_ENV.bedrockRegion]: 'us-west-2',
      [WORKSPACE_AGENT_ENV.bedrockBaseUrl]: 'http://bedrock-runtime.us-west-2.amazonaws.com',
      [WORKSPACE_AGENT_ENV.model]: MODELS[0],
    });
    expect(agentEnv).not.toHaveProperty(WORKSPACE_AGENT_ENV.anthropicBaseUrl);
  });

  it('still gives the task no role and no secret but the public key: the gateway signs', () => {
    const td = taskDefinition(template);
    expect(td).not.toHaveProperty('TaskRoleArn');
    for (const c of td.ContainerDefinitions) {
      expect(
        (c.Secrets ?? []).map((x) => x.Name),
        c.Name,
      ).toEqual([c.Name === 'proxy' ? 'PROXY_TOKEN_PUBLIC_KEY' : WORKSPACE_AGENT_ENV.tokenPublicKey]);
      expect(
        Object.keys(env(c)).filter((n) => /^AWS_|KEY|SECRET|TOKEN/.test(n)),
        c.Name,
      ).toEqual([]);
    }
  });
});

describe('Workspaces stack with EC2 capacity (BERTH_CAPACITY=ec2)', () => {
  let template: Template;
  beforeAll(async () => {
    template = await synthWorkspaces({ BERTH_CAPACITY: 'ec2' });
  }, 120_000);

  it('adds a capacity provider with managed scaling and managed termination protection as the default', () => {
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: {
        ManagedScaling: Match.objectLike({ Status: 'ENABLED' }),
        ManagedTerminationProtection: 'ENABLED',
      },
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NewInstancesProtectedFromScaleIn: true,
      // Network's workspace subnets (isolated).
      VPCZoneIdentifier: Match.arrayWith([{ 'Fn::ImportValue': Match.stringLikeRegexp('workspacesSubnet') }]),
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      DefaultCapacityProviderStrategy: [
        { CapacityProvider: { Ref: Match.stringLikeRegexp('^HostCapacity') }, Weight: 1 },
      ],
    });
  });

  it('boots Graviton ECS-optimized instances with IMDSv2 only and the agent config lines', () => {
    const ami = Object.values(template.toJSON().Parameters as Record<string, { Default?: string }>).map(
      (p) => p.Default,
    );
    expect(ami).toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id');
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as {
      Properties: { LaunchTemplateData: { UserData: unknown } };
    };
    const userData = JSON.stringify(lt.Properties.LaunchTemplateData.UserData);
    for (const line of ECS_AGENT_CONFIG) expect(userData).toContain(`echo ${line} >> /etc/ecs/ecs.config`);
  });

  it('turns awsvpcTrunking on for the instance role only, before the instances', () => {
    const [id, resource] = Object.entries(template.findResources('Custom::AWS'))[0] as [
      string,
      { Properties: { Create: unknown } },
    ];
    const create = JSON.stringify(resource.Properties.Create);
    expect(create).toContain('putAccountSetting');
    expect(create).toContain('awsvpcTrunking');
    expect(create).toContain('HostRole');
    const asg = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0] as {
      DependsOn?: string[];
    };
    expect(asg.DependsOn).toContain(id);
  });

  it('keeps the task definition arm64 and awsvpc on EC2', () => {
    const td = taskDefinition(template);
    expect(td.RequiresCompatibilities).toEqual(['EC2']);
    expect(td.NetworkMode).toBe('awsvpc');
    expect(td.PlacementConstraints).toEqual([
      { Type: 'memberOf', Expression: 'attribute:ecs.cpu-architecture == arm64' },
    ]);
    expect(td).not.toHaveProperty('TaskRoleArn');
  });
});

describe('cdk-nag AwsSolutions on the Workspaces stack', () => {
  const check = (report: NagReport) => {
    expect(report.errors).toEqual([]);
    expect(report.validationFailures).toEqual([]);
    expect(report.suppressions.length).toBeGreaterThan(0);
    for (const s of report.suppressions) expect(s.reason.length, `${s.path} ${s.id}`).toBeGreaterThan(20);
  };
  it('finds no unsuppressed error on Fargate', async () => {
    check(await withBerthEnv({}, () => nag(STACKS)));
  }, 120_000);
  it('finds no unsuppressed error with EC2 capacity', async () => {
    check(await withBerthEnv({ BERTH_CAPACITY: 'ec2' }, () => nag(STACKS)));
  }, 120_000);
});

describe('berthSettings', () => {
  it('defaults to Fargate, 2 vCPU / 4 GiB tasks with a 2 GiB workspace, 21 GiB of disk, 30-day logs', () => {
    const s = berthSettings({});
    expect(s.capacity).toBe('fargate');
    expect(s.task).toMatchObject({
      cpu: 2048,
      memoryMiB: 4096,
      workspaceMemoryMiB: 2048,
      ephemeralStorageGiB: 21,
    });
    expect(s.logRetentionDays).toBe(30);
    expect(s.alarmEmail).toBeUndefined();
  });
  it('takes overrides from BERTH_* variables', () => {
    const s = berthSettings({
      BERTH_CAPACITY: 'ec2',
      BERTH_TASK_CPU: '1024',
      BERTH_TASK_MEMORY_MIB: '3072',
      BERTH_LOG_RETENTION_DAYS: '90',
      BERTH_ALARM_EMAIL: 'ops@example.com',
    });
    expect(s).toMatchObject({ capacity: 'ec2', logRetentionDays: 90, alarmEmail: 'ops@example.com' });
    expect(s.task).toMatchObject({ cpu: 1024, memoryMiB: 3072 });
  });
  it.each([
    [{ BERTH_CAPACITY: 'k8s' }, /BERTH_CAPACITY/],
    [{ BERTH_TASK_MEMORY_MIB: '2048' }, /BERTH_TASK_MEMORY_MIB .*4096/],
    [{ BERTH_TASK_CPU: '3000' }, /BERTH_TASK_CPU/],
    [{ BERTH_LOG_RETENTION_DAYS: '31' }, /BERTH_LOG_RETENTION_DAYS/],
    [{ BERTH_WORKSPACE_MEMORY_MIB: '4000' }, /exceed BERTH_TASK_MEMORY_MIB/],
    [{ BERTH_ALARM_EMAIL: 'nobody' }, /BERTH_ALARM_EMAIL/],
  ])('refuses %o, naming the variable', (vars, message) => {
    expect(() => berthSettings(vars)).toThrow(SettingsError);
    expect(() => berthSettings(vars)).toThrow(message);
  });
});

describe('workspace image', () => {
  it('declares every task volume path a VOLUME, so ECS volumes start owned by the agent, not root', async () => {
    const { readFileSync } = await import('node:fs');
    const dockerfile = readFileSync(new URL('../../workspace-image/Dockerfile', import.meta.url), 'utf8');
    const declared = JSON.parse(/^VOLUME (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(declared.sort()).toEqual(Object.values(WORKSPACE_VOLUMES).sort());
  });
});
