import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { use, type StackContext } from 'sst/constructs';
import { PROXY_SPEC, WORKSPACE_SPEC } from '../local-docker/src/images/app-images.js';
import { PROXY_CONTAINER, WORKSPACE_CONTAINER } from '../packages/aws/src/ecs/task-mapping.js';
import { SIDECAR_ADMIN } from '../packages/protocol/src/egress/sidecar-admin.js';
import { WORKSPACE_AGENT_ENV } from '../packages/protocol/src/workspace-agent/env.js';
import { appImage } from './app-image.js';
import { HARDENED, hardenedLinux, httpHealthCheck, PROXY_USER } from './container-hardening.js';
import { EgressGateway } from './EgressGateway.js';
import { Network, WORKSPACE_PORTS } from './Network.js';
import { agentPublicKeyParameterName } from './operator-secrets.js';
import { suppressAwsCustomResourceProvider, suppressSstInternals } from './nag-suppressions.js';
import { berthSettings, type BerthSettings } from './settings.js';

export { PROXY_USER } from './container-hardening.js';

/**
 * Container names in the task definition: EcsRuntime overrides both by name at RunTask (the agent's and the
 * relay's workspace id).
 */
export const CONTAINER_NAMES = { workspace: WORKSPACE_CONTAINER, proxy: PROXY_CONTAINER } as const;

/** The workspace agent's uid (workspace-image/Dockerfile), as locally (local-docker hardening.ts). */
export const AGENT_USER = '1000:1000';

/** Where the relay listens inside the task (loopback: the agent shares the task's network namespace). */
const PROXY_LISTEN = '127.0.0.1:8080';
/** The proxy image's program the workspace task's sidecar runs (proxy-sidecar/Dockerfile copies it there). */
export const RELAY_COMMAND = ['node', '/opt/berth/relay.mjs'];

/**
 * Writable paths of the read-only workspace container, each an ephemeral task volume (local: mounts + tmpfs).
 * ECS copies a path's content and ownership from the image into its volume only when the image declares it with
 * `VOLUME`; otherwise the volume starts empty and root-owned, unwritable by uid 1000.
 */
export const WORKSPACE_VOLUMES = {
  files: '/workspace',
  tmp: '/tmp',
  varTmp: '/var/tmp',
  agent: '/run/berth/agent',
  home: '/home/agent',
} as const;

/** Lines appended to /etc/ecs/ecs.config on EC2 capacity. */
export const ECS_AGENT_CONFIG = [
  // awsvpc tasks on EC2; with the account setting awsvpcTrunking, many task ENIs per instance.
  'ECS_ENABLE_TASK_ENI=true',
  // Tasks cannot reach the instance metadata service, so never the instance role's credentials.
  'ECS_AWSVPC_BLOCK_IMDS=true',
  // No task definition of this cluster needs it; refuse any that asks.
  'ECS_DISABLE_PRIVILEGED=true',
] as const;

/**
 * Workspace tasks on ECS: the cluster (Fargate, or an EC2 capacity provider by setting), the two-container task
 * definition (workspace agent + the relay that forwards its egress to the egress gateway), its execution role
 * and its log groups. The task has no task role and no model credential: a workspace holds no secret
 * (ARCHITECTURE.md §4); the gateway adds the Anthropic key or signs Bedrock calls.
 */
export function Workspaces({ stack, app }: StackContext) {
  const settings = berthSettings();
  const net = use(Network);
  const gateway = use(EgressGateway);
  const production = app.stage === 'prod';

  const cluster = new ecs.Cluster(stack, 'Cluster', {
    vpc: net.vpc,
    containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    enableFargateCapacityProviders: settings.capacity === 'fargate',
  });
  const capacity: WorkspaceCapacity =
    settings.capacity === 'ec2'
      ? ec2Capacity(stack, cluster, net, settings)
      : // No strategy: EcsRuntime then runs tasks with launch type FARGATE.
        { type: 'fargate', capacityProviderStrategy: [] };

  const executionRole = new iam.Role(stack, 'ExecutionRole', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    description: 'Pulls the workspace images and writes their logs; the tasks themselves get no role',
  });
  const taskDefinition = new ecs.TaskDefinition(stack, 'WorkspaceTask', {
    compatibility: settings.capacity === 'ec2' ? ecs.Compatibility.EC2 : ecs.Compatibility.FARGATE,
    networkMode: ecs.NetworkMode.AWS_VPC,
    // arm64 images: Fargate is told so; on EC2 (where CDK refuses runtimePlatform) a placement constraint says it.
    ...(settings.capacity === 'fargate'
      ? {
          runtimePlatform: {
            cpuArchitecture: ecs.CpuArchitecture.ARM64,
            operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
          },
        }
      : {
          placementConstraints: [ecs.PlacementConstraint.memberOf('attribute:ecs.cpu-architecture == arm64')],
        }),
    cpu: String(settings.task.cpu),
    memoryMiB: String(settings.task.memoryMiB),
    // Fargate only; on EC2 the volumes live on the instance's disk.
    ...(settings.capacity === 'fargate' && { ephemeralStorageGiB: settings.task.ephemeralStorageGiB }),
    executionRole,
  });
  removeTaskRole(taskDefinition);

  const logGroup = (id: string) =>
    new logs.LogGroup(stack, id, {
      retention: settings.logRetentionDays as logs.RetentionDays,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  const logGroups = { workspace: logGroup('WorkspaceLogs'), proxy: logGroup('ProxyLogs') };
  // The control plane's agent-token public key (not secret): read by ECS from the operator's SSM parameter
  // at task start, so no key travels in RunTask. The agent checks agent tokens with it, the relay the admin
  // tokens and credentials the control plane hands it.
  const publicKey = ecs.Secret.fromSsmParameter(
    ssm.StringParameter.fromStringParameterName(
      stack,
      'AgentPublicKey',
      agentPublicKeyParameterName(stack.stage),
    ),
  );
  const nofile = {
    name: ecs.UlimitName.NOFILE,
    softLimit: settings.task.nofile,
    hardLimit: settings.task.nofile,
  };

  // The relay: the workspace's only way out, to the egress gateway with the workspace's proxy credential,
  // which the control plane hands to its admin API once the task answers (SIDECAR_ADMIN). PROXY_WORKSPACE_ID
  // comes per task in RunTask's overrides (not secret); the credential never passes through ECS.
  const proxy = taskDefinition.addContainer('Proxy', {
    ...HARDENED,
    containerName: CONTAINER_NAMES.proxy,
    image: appImage(PROXY_SPEC),
    command: RELAY_COMMAND,
    user: PROXY_USER,
    memoryLimitMiB: settings.task.proxyMemoryMiB,
    linuxParameters: hardenedLinux(stack, 'ProxyLinux'),
    ulimits: [nofile],
    environment: {
      PROXY_LISTEN,
      PROXY_ADMIN_LISTEN: `0.0.0.0:${WORKSPACE_PORTS.proxyAdmin}`,
      PROXY_GATEWAY: gateway.address,
    },
    secrets: { PROXY_TOKEN_PUBLIC_KEY: publicKey },
    portMappings: [{ containerPort: WORKSPACE_PORTS.proxyAdmin, name: 'proxy-admin' }],
    // The admin API's health needs no token.
    healthCheck: httpHealthCheck(`http://127.0.0.1:${WORKSPACE_PORTS.proxyAdmin}${SIDECAR_ADMIN.healthPath}`),
    logging: ecs.LogDrivers.awsLogs({ logGroup: logGroups.proxy, streamPrefix: CONTAINER_NAMES.proxy }),
  });

  const workspace = taskDefinition.addContainer('Workspace', {
    ...HARDENED,
    containerName: CONTAINER_NAMES.workspace,
    image: appImage(WORKSPACE_SPEC),
    user: AGENT_USER,
    memoryLimitMiB: settings.task.workspaceMemoryMiB,
    linuxParameters: hardenedLinux(stack, 'WorkspaceLinux'),
    // The local PidsLimit: RLIMIT_NPROC counts threads too, as the pids cgroup does.
    ulimits: [
      { name: ecs.UlimitName.NPROC, softLimit: settings.task.pids, hardLimit: settings.task.pids },
      nofile,
    ],
    // EcsRuntime sets the workspace id (and again the listen mode and port) per task; nothing secret.
    environment: {
      [WORKSPACE_AGENT_ENV.listenMode]: 'http',
      [WORKSPACE_AGENT_ENV.host]: '0.0.0.0',
      [WORKSPACE_AGENT_ENV.port]: String(WORKSPACE_PORTS.agent),
      [WORKSPACE_AGENT_ENV.workspaceDir]: WORKSPACE_VOLUMES.files,
      // The only way out: the relay on the task's loopback (the subnets have no route to the internet).
      [WORKSPACE_AGENT_ENV.proxyUrl]: `http://${PROXY_LISTEN}`,
      ...modelAccess(settings, stack.region),
      HOME: WORKSPACE_VOLUMES.home,
    },
    secrets: { [WORKSPACE_AGENT_ENV.tokenPublicKey]: publicKey },
    portMappings: [{ containerPort: WORKSPACE_PORTS.agent, name: 'agent' }],
    healthCheck: httpHealthCheck(`http://127.0.0.1:${WORKSPACE_PORTS.agent}/health`),
    logging: ecs.LogDrivers.awsLogs({
      logGroup: logGroups.workspace,
      streamPrefix: CONTAINER_NAMES.workspace,
    }),
  });
  for (const [name, containerPath] of Object.entries(WORKSPACE_VOLUMES)) {
    taskDefinition.addVolume({ name });
    workspace.addMountPoints({ sourceVolume: name, containerPath, readOnly: false });
  }
  // START, not HEALTHY: the agent does not need the proxy to start (commands reach it per request), and
  // waiting for a health check would add at least one check interval to every cold start.
  workspace.addContainerDependencies({ container: proxy, condition: ecs.ContainerDependencyCondition.START });

  suppressNagFindings(stack, executionRole, taskDefinition);
  stack.addOutputs({ Cluster: cluster.clusterName, TaskDefinition: taskDefinition.taskDefinitionArn });
  return { cluster, taskDefinition, executionRole, containerNames: CONTAINER_NAMES, capacity, logGroups };
}

/**
 * How the agent's runs reach the model: plain HTTP through the relay to the gateway, which adds the Anthropic
 * key or the Bedrock signature and speaks HTTPS upstream. No key or AWS credential is in here.
 */
export function modelAccess(settings: BerthSettings, stackRegion: string): Record<string, string> {
  if (settings.models.provider === 'anthropic') {
    return { [WORKSPACE_AGENT_ENV.anthropicBaseUrl]: 'http://api.anthropic.com' };
  }
  const region = settings.models.bedrockRegion ?? stackRegion;
  return {
    [WORKSPACE_AGENT_ENV.bedrockRegion]: region,
    [WORKSPACE_AGENT_ENV.bedrockBaseUrl]: `http://bedrock-runtime.${region}.amazonaws.com`,
    // The gateway's role may invoke the configured models only: the first is the runs' default.
    [WORKSPACE_AGENT_ENV.model]: settings.models.bedrockModels[0]!,
  };
}

/**
 * CDK gives every task definition a task role; Berth's tasks must have none (no credentials in a workspace),
 * so the role is removed and `TaskRoleArn` left out. Nothing may grant to `taskDefinition.taskRole`.
 */
function removeTaskRole(taskDefinition: ecs.TaskDefinition) {
  taskDefinition.node.tryRemoveChild('TaskRole');
  (taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).taskRoleArn = undefined;
}

/** Where tasks run: the strategy the Provisioning stack hands to EcsRuntime (`capacityProviderStrategy`). */
export type WorkspaceCapacity =
  | { type: 'fargate'; capacityProviderStrategy: ecs.CapacityProviderStrategy[] }
  | {
      type: 'ec2';
      capacityProviderStrategy: ecs.CapacityProviderStrategy[];
      provider: ecs.AsgCapacityProvider;
      autoScalingGroup: autoscaling.AutoScalingGroup;
    };

interface NetworkRefs {
  vpc: ec2.IVpc;
  workspaceSubnets: ec2.SubnetSelection;
  workspacesSecurityGroup: ec2.ISecurityGroup;
}

/**
 * EC2 capacity: Graviton instances of the arm64 ECS-optimized AMI in the workspace subnets (isolated: the ECS
 * agent reaches ECS, ECR and Logs through the VPC endpoints), with managed scaling and managed termination
 * protection, IMDSv2 only, and task ENI trunking.
 */
function ec2Capacity(
  stack: Stack,
  cluster: ecs.Cluster,
  net: NetworkRefs,
  settings: BerthSettings,
): WorkspaceCapacity {
  const role = new iam.Role(stack, 'HostRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description: 'ECS container instances of the workspace cluster',
  });
  const userData = ec2.UserData.forLinux();
  userData.addCommands(...ECS_AGENT_CONFIG.map((line) => `echo ${line} >> /etc/ecs/ecs.config`));
  const launchTemplate = new ec2.LaunchTemplate(stack, 'HostTemplate', {
    instanceType: new ec2.InstanceType(settings.ec2.instanceType),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.ARM),
    requireImdsv2: true,
    // One hop: a container behind the instance cannot reach IMDS even if iptables were bypassed.
    httpPutResponseHopLimit: 1,
    role,
    userData,
    securityGroup: net.workspacesSecurityGroup,
    blockDevices: [
      {
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      },
    ],
  });
  const autoScalingGroup = new autoscaling.AutoScalingGroup(stack, 'Hosts', {
    vpc: net.vpc,
    vpcSubnets: net.workspaceSubnets,
    launchTemplate,
    minCapacity: settings.ec2.minInstances,
    maxCapacity: settings.ec2.maxInstances,
  });
  const provider = new ecs.AsgCapacityProvider(stack, 'HostCapacity', {
    autoScalingGroup,
    enableManagedScaling: true,
    enableManagedTerminationProtection: true,
  });
  cluster.addAsgCapacityProvider(provider);
  const capacityProviderStrategy = [{ capacityProvider: provider.capacityProviderName, weight: 1 }];
  cluster.addDefaultCapacityProviderStrategy(capacityProviderStrategy);

  // awsvpcTrunking is an account setting, not a CloudFormation resource: set it for the instance role only
  // (not the whole account), before any instance registers.
  const trunking = { name: 'awsvpcTrunking', principalArn: role.roleArn };
  const setting = new cr.AwsCustomResource(stack, 'EniTrunking', {
    onCreate: {
      service: 'ECS',
      action: 'putAccountSetting',
      parameters: { ...trunking, value: 'enabled' },
      physicalResourceId: cr.PhysicalResourceId.of('awsvpcTrunking'),
    },
    onDelete: { service: 'ECS', action: 'deleteAccountSetting', parameters: trunking },
    // PutAccountSetting has no resource-level permissions.
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    installLatestAwsSdk: false,
  });
  autoScalingGroup.node.addDependency(setting);
  suppressEc2NagFindings(stack, role, autoScalingGroup, setting);
  return { type: 'ec2', capacityProviderStrategy, provider, autoScalingGroup };
}

function suppressNagFindings(stack: Stack, executionRole: iam.Role, taskDefinition: ecs.TaskDefinition) {
  suppressSstInternals(stack);
  NagSuppressions.addResourceSuppressions(
    executionRole,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'ecr:GetAuthorizationToken has no resource-level permissions; image pulls and log writes are scoped to the asset repository and the two log groups',
        appliesTo: ['Resource::*'],
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(taskDefinition, [
    {
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only listen addresses, ports, paths, the gateway address and the model API URL; the agent-token public key comes from SSM; nothing secret reaches a workspace task',
    },
  ]);
}

function suppressEc2NagFindings(stack: Stack, role: iam.Role, asg: Construct, setting: Construct) {
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "The ECS agent's policy as CDK attaches it: Register/Deregister/Submit* on this cluster only; Poll and StartTelemetrySession conditioned on this cluster; DiscoverPollEndpoint, ecr:GetAuthorizationToken and the agent's own log writes have no resource-level permissions",
        appliesTo: ['Resource::*', 'Action::ecs:Submit*'],
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(asg, [
    {
      id: 'AwsSolutions-AS3',
      reason: 'Scaling is managed by the ECS capacity provider; its events are in ECS, not ASG notifications',
    },
  ]);
  NagSuppressions.addResourceSuppressions(
    setting,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'ecs:PutAccountSetting/DeleteAccountSetting have no resource-level permissions',
        appliesTo: ['Resource::*'],
      },
    ],
    true,
  );
  suppressAwsCustomResourceProvider(stack);
}
