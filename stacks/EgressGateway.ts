import { ArnFormat, Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { NagSuppressions } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { use, type StackContext } from 'sst/constructs';
import { PROXY_SPEC } from '../local-docker/src/images/app-images.js';
import { SERVICE } from '../packages/core/src/observability/metric-names.js';
import { appImage } from './app-image.js';
import { bedrockModelArns } from './bedrock-models.js';
import { HARDENED, hardenedLinux, PROXY_USER } from './container-hardening.js';
import { Data } from './Data.js';
import { suppressSstInternals } from './nag-suppressions.js';
import { EGRESS_GATEWAY_PORT, Network } from './Network.js';
import { agentPublicKeyParameterName, anthropicApiKeySecretName } from './operator-secrets.js';
import { berthSettings } from './settings.js';

/** The gateway's container in its task definition. */
export const GATEWAY_CONTAINER = 'gateway';
/** The proxy image's program the gateway runs (proxy-sidecar/Dockerfile copies it there). */
export const GATEWAY_COMMAND = ['node', '/opt/berth/gateway.mjs'];
/**
 * How long a gateway task keeps a workspace's policy read from DynamoDB (PROXY_POLICY_TTL_MS). The control
 * plane's `PUT /egress` waits longer than this before it answers (packages/aws GatewayEgress), so an answer
 * means every gateway task applies the new rules.
 */
export const GATEWAY_POLICY_TTL_MS = 1_000;
/** The `service` dimension of the gateway's EMF metrics (namespace `Berth`), from the catalog it emits with. */
export const EGRESS_GATEWAY_SERVICE = SERVICE.egressGateway;
/**
 * Metrics the gateway stack derives from the gateway's audit lines (one JSON line per request, `"message":
 * "egress"`), namespace `Berth`.
 */
export const GATEWAY_LOG_METRICS = {
  /** Requests refused 503 because the workspace's policy could not be read (DynamoDB unreachable or slow). */
  policyUnavailable: 'GatewayPolicyUnavailable',
} as const;

/** What Observability needs of the gateway: found in the app's construct tree, like the functions. */
export interface EgressGatewayMonitoring {
  loadBalancer: elbv2.NetworkLoadBalancer;
  targetGroup: elbv2.NetworkTargetGroup;
  logGroup: logs.LogGroup;
  /** The task count the service never scales below: fewer healthy targets is an outage in the making. */
  minTasks: number;
}

const MONITORING = Symbol.for('berth.egressGateway');

/** The gateway's monitoring handles if `c` is its service, else undefined. */
export const egressGatewayOf = (c: IConstruct): EgressGatewayMonitoring | undefined =>
  (c as unknown as Record<symbol, EgressGatewayMonitoring | undefined>)[MONITORING];

/**
 * The egress gateway: the proxy image's gateway program as a Fargate service (arm64, at least two tasks,
 * CPU autoscaling) in the NAT subnets, behind an internal Network Load Balancer on port 3128. It is the only
 * way from a workspace to the internet: each workspace task's relay forwards to the load balancer with the
 * workspace's proxy credential, and the gateway applies that workspace's policy (the base allowlist plus its
 * own rules, read from the workspace's item in the table). It holds the model credentials — the Anthropic key
 * from Secrets Manager, or Bedrock through its own task role — which no workspace task and no function has.
 */
export function EgressGateway({ stack, app }: StackContext) {
  suppressSstInternals(stack);
  const settings = berthSettings();
  const { table } = use(Data);
  const net = use(Network);
  const bedrock = settings.models.provider === 'bedrock';
  const bedrockRegion = settings.models.bedrockRegion ?? stack.region;

  const cluster = new ecs.Cluster(stack, 'GatewayCluster', {
    vpc: net.vpc,
    containerInsightsV2: ecs.ContainerInsights.ENHANCED,
  });
  const logGroup = new logs.LogGroup(stack, 'GatewayLogs', {
    retention: settings.logRetentionDays as logs.RetentionDays,
    removalPolicy: app.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });

  const executionRole = new iam.Role(stack, 'GatewayExecutionRole', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    description: "Pulls the egress gateway's image, writes its logs, reads its public key and model key",
  });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'GatewayTask', {
    cpu: settings.gateway.cpu,
    memoryLimitMiB: settings.gateway.memoryMiB,
    runtimePlatform: {
      cpuArchitecture: ecs.CpuArchitecture.ARM64,
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
    },
    executionRole,
  });
  // The task role: each workspace's policy, one GetItem per workspace and cache period (DynamoEgressRules).
  taskDefinition.addToTaskRolePolicy(
    new iam.PolicyStatement({
      sid: 'WorkspacePolicies',
      actions: ['dynamodb:GetItem'],
      resources: [table.tableArn],
    }),
  );
  if (bedrock) {
    // The gateway signs the workspaces' Bedrock calls with this role: the configured models only.
    taskDefinition.addToTaskRolePolicy(
      new iam.PolicyStatement({
        sid: 'ConfiguredModels',
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: bedrockModelArns(stack, bedrockRegion, settings.models.bedrockModels),
      }),
    );
  }

  const secrets: Record<string, ecs.Secret> = {
    // The control plane's public key: proxy credentials are tokens it signs for one workspace.
    PROXY_TOKEN_PUBLIC_KEY: ecs.Secret.fromSsmParameter(
      ssm.StringParameter.fromStringParameterName(
        stack,
        'AgentPublicKey',
        agentPublicKeyParameterName(stack.stage),
      ),
    ),
  };
  if (!bedrock) {
    // ECS reads the key at task start (the execution role may); it is in this container's environment only.
    secrets.PROXY_ANTHROPIC_API_KEY = secretByName(stack, anthropicApiKeySecretName(stack.stage));
  }
  const environment: Record<string, string> = {
    PROXY_LISTEN: `0.0.0.0:${EGRESS_GATEWAY_PORT}`,
    PROXY_POLICY_TABLE: table.tableName,
    PROXY_POLICY_TTL_MS: String(GATEWAY_POLICY_TTL_MS),
    // The AWS SDK's region for the table.
    AWS_REGION: stack.region,
    ...(settings.egress.allow.length > 0 && { PROXY_ALLOW_DOMAINS: settings.egress.allow.join(',') }),
    ...(bedrock && { PROXY_BEDROCK_REGION: bedrockRegion }),
  };
  taskDefinition.addContainer('Gateway', {
    ...HARDENED,
    containerName: GATEWAY_CONTAINER,
    image: appImage(PROXY_SPEC),
    command: GATEWAY_COMMAND,
    user: PROXY_USER,
    linuxParameters: hardenedLinux(stack, 'GatewayLinux'),
    // Every tunnel is a socket each way.
    ulimits: [{ name: ecs.UlimitName.NOFILE, softLimit: 65536, hardLimit: 65536 }],
    environment,
    secrets,
    portMappings: [{ containerPort: EGRESS_GATEWAY_PORT, name: 'proxy' }],
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: GATEWAY_CONTAINER }),
    // Fargate's longest: open tunnels get time to finish after SIGTERM (the gateway stops accepting first).
    stopTimeout: Duration.seconds(120),
  });

  const service = new ecs.FargateService(stack, 'GatewayService', {
    cluster,
    taskDefinition,
    desiredCount: settings.gateway.tasks,
    // Never below the minimum during a deploy; a deploy that does not become healthy rolls back.
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    circuitBreaker: { enable: true, rollback: true },
    vpcSubnets: net.gatewaySubnets,
    securityGroups: [net.gatewaySecurityGroup],
    assignPublicIp: false,
    enableExecuteCommand: false,
    healthCheckGracePeriod: Duration.seconds(30),
  });
  service
    .autoScaleTaskCount({ minCapacity: settings.gateway.tasks, maxCapacity: settings.gateway.maxTasks })
    .scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(5),
    });

  const loadBalancer = new elbv2.NetworkLoadBalancer(stack, 'GatewayLoadBalancer', {
    vpc: net.vpc,
    internetFacing: false,
    vpcSubnets: net.gatewaySubnets,
    securityGroups: [net.gatewayLoadBalancerSecurityGroup],
    // A zone whose tasks are all gone still forwards to the other zone's.
    crossZoneEnabled: true,
  });
  const listener = loadBalancer.addListener('Proxy', {
    port: EGRESS_GATEWAY_PORT,
    protocol: elbv2.Protocol.TCP,
  });
  const targetGroup = listener.addTargets('Gateway', {
    port: EGRESS_GATEWAY_PORT,
    protocol: elbv2.Protocol.TCP,
    targets: [
      service.loadBalancerTarget({ containerName: GATEWAY_CONTAINER, containerPort: EGRESS_GATEWAY_PORT }),
    ],
    healthCheck: {
      protocol: elbv2.Protocol.TCP,
      interval: Duration.seconds(10),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
    },
    // The gateway's security group admits the load balancer's: connections come from its addresses.
    preserveClientIp: false,
  });

  // 503s for want of a policy, counted from the audit lines (the EMF metrics count requests, not reasons).
  new logs.MetricFilter(stack, 'PolicyUnavailable', {
    logGroup,
    metricNamespace: 'Berth',
    metricName: GATEWAY_LOG_METRICS.policyUnavailable,
    filterPattern: logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.message', '=', 'egress'),
      logs.FilterPattern.stringValue('$.reason', '=', 'policy_unavailable'),
    ),
    metricValue: '1',
    defaultValue: 0,
  });

  const monitoring: EgressGatewayMonitoring = {
    loadBalancer,
    targetGroup,
    logGroup,
    minTasks: settings.gateway.tasks,
  };
  Object.defineProperty(service, MONITORING, { value: monitoring });
  suppressNagFindings(stack, executionRole, taskDefinition, loadBalancer, bedrock);

  /** Where each workspace task's relay sends everything (its PROXY_GATEWAY). */
  const address = `${loadBalancer.loadBalancerDnsName}:${EGRESS_GATEWAY_PORT}`;
  // The cluster and service: a new Anthropic key takes effect with `aws ecs update-service
  // --force-new-deployment` (README "Deploy to AWS").
  stack.addOutputs({
    EgressGateway: address,
    GatewayCluster: cluster.clusterName,
    GatewayService: service.serviceName,
  });
  return { address, cluster, service, taskDefinition, loadBalancer, targetGroup, logGroup };
}

/**
 * A Secrets Manager secret of this region given to a container by its name. ECS takes a name or the complete
 * ARN (with the six characters Secrets Manager appends, unknown before the operator creates the secret), not
 * the partial ARN CDK's `fromSecretNameV2` makes: a task given that fails to start with AccessDenied.
 */
function secretByName(stack: Stack, name: string): ecs.Secret {
  return {
    arn: name,
    hasField: false,
    grantRead: (grantee) =>
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['secretsmanager:GetSecretValue'],
        resourceArns: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${name}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
  };
}

function suppressNagFindings(
  stack: Stack,
  executionRole: iam.Role,
  taskDefinition: ecs.TaskDefinition,
  loadBalancer: elbv2.NetworkLoadBalancer,
  bedrock: boolean,
) {
  NagSuppressions.addResourceSuppressions(
    executionRole,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "ecr:GetAuthorizationToken has no resource-level permissions; image pulls, log writes and the key reads are scoped to the asset repository, the gateway's log group, the public-key parameter and the Anthropic key secret",
        appliesTo: ['Resource::*'],
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(taskDefinition, [
    {
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds the listen address, the table name, the base allowlist and the Bedrock region; the public key and the Anthropic key come through ECS secrets',
    },
  ]);
  if (bedrock) {
    NagSuppressions.addResourceSuppressions(
      taskDefinition,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "An inference profile routes each call to one of its regions, where it is authorized on the profile's foundation model: that exact model, in any region (Bedrock's documented form)",
          appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:bedrock:\\*::foundation-model\\/.+$/' }],
        },
      ],
      true,
    );
  }
  NagSuppressions.addResourceSuppressions(loadBalancer, [
    {
      id: 'AwsSolutions-ELB2',
      reason:
        "NLB access logs record TLS listeners only; this listener is TCP. Each request is in the gateway's audit log (workspace, tenant, destination, status) and each flow in the VPC flow logs",
    },
  ]);
}
