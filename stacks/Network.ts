import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { use, type StackContext } from 'sst/constructs';
import { SIDECAR_ADMIN } from '../packages/protocol/src/egress/sidecar-admin.js';
import { Data } from './Data.js';
import { suppressAwsCustomResourceProvider, suppressSstInternals } from './nag-suppressions.js';
import { berthSettings } from './settings.js';

/**
 * Ports a workspace task listens on: the workspace agent (its AGENT_PORT default) and the proxy relay's
 * admin API (the sidecar-admin contract's port). Only the control-plane functions may reach them.
 */
export const WORKSPACE_PORTS = { agent: 9000, proxyAdmin: SIDECAR_ADMIN.port } as const;

/** The egress gateway's proxy port: its load balancer's listener and its tasks (PROXY_LISTEN). */
export const EGRESS_GATEWAY_PORT = 3128;

/** The account's ECR keeps image layers here; a task pulling an image reads them through the S3 endpoint. */
const ecrLayerBucketArn = (region: string) => `arn:aws:s3:::prod-${region}-starport-layer-bucket/*`;

/**
 * The network: workspace tasks in *isolated* subnets (no route out of the VPC; AWS services only through
 * endpoints, the internet only through the egress gateway's load balancer), control-plane functions and the
 * egress gateway in private subnets behind NAT, public subnets for the NAT gateways only. Endpoint policies
 * keep the endpoints to Berth's own resources, so a workspace cannot copy data out to somebody else's bucket
 * or table over them. Every security group and rule is made here, so one test sees who may reach whom.
 */
export function Network({ stack, app }: StackContext) {
  suppressSstInternals(stack);
  const settings = berthSettings();
  const { table, files } = use(Data);
  const availabilityZones = settings.availabilityZones ?? ['a', 'b'].map((zone) => `${stack.region}${zone}`);

  const vpc = new ec2.Vpc(stack, 'Vpc', {
    // Named, not looked up: a synth needs no AWS account, and the subnets never move between deploys.
    availabilityZones,
    // One NAT per zone in production (a zone outage keeps the functions online); one elsewhere, for cost.
    natGateways: app.stage === 'prod' ? availabilityZones.length : 1,
    subnetConfiguration: [
      { name: 'nat', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26 },
      { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      // One IP per task (awsvpc): room for a few thousand workspaces per zone.
      { name: 'workspaces', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
    ],
  });
  const workspaceSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const functionSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  // The egress gateway and its load balancer share the functions' NAT tier: the gateway needs NAT, and a
  // tier of its own would only move the same route table.
  const gatewaySubnets = functionSubnets;

  // Every accepted and rejected flow, for the egress audit of a workspace.
  vpc.addFlowLog('FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(
      new logs.LogGroup(stack, 'FlowLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    ),
    trafficType: ec2.FlowLogTrafficType.ALL,
  });

  const functionsSecurityGroup = new ec2.SecurityGroup(stack, 'FunctionsSecurityGroup', {
    vpc,
    description: 'Berth control-plane functions',
  });
  const workspacesSecurityGroup = new ec2.SecurityGroup(stack, 'WorkspacesSecurityGroup', {
    vpc,
    description: 'Berth workspace tasks: reachable from the functions only, no open egress',
    allowAllOutbound: false,
  });
  const endpointsSecurityGroup = new ec2.SecurityGroup(stack, 'EndpointsSecurityGroup', {
    vpc,
    description: 'Berth interface VPC endpoints',
    allowAllOutbound: false,
  });
  const gatewayLoadBalancerSecurityGroup = new ec2.SecurityGroup(stack, 'GatewayLoadBalancerSecurityGroup', {
    vpc,
    description: 'Berth egress gateway load balancer: from workspace tasks only, to the gateway tasks only',
    allowAllOutbound: false,
  });
  const gatewaySecurityGroup = new ec2.SecurityGroup(stack, 'GatewaySecurityGroup', {
    vpc,
    description: 'Berth egress gateway tasks: from their load balancer only, out on the allowed ports',
    allowAllOutbound: false,
  });

  workspacesSecurityGroup.addIngressRule(
    functionsSecurityGroup,
    ec2.Port.tcp(WORKSPACE_PORTS.agent),
    'workspace agent, from the functions',
  );
  workspacesSecurityGroup.addIngressRule(
    functionsSecurityGroup,
    ec2.Port.tcp(WORKSPACE_PORTS.proxyAdmin),
    'proxy sidecar admin API, from the functions',
  );
  for (const group of [workspacesSecurityGroup, functionsSecurityGroup, gatewaySecurityGroup]) {
    endpointsSecurityGroup.addIngressRule(group, ec2.Port.HTTPS, 'AWS APIs through the VPC endpoints');
  }
  allowEgress(
    workspacesSecurityGroup,
    'ToEndpoints',
    endpointsSecurityGroup,
    443,
    'AWS APIs through the VPC endpoints',
  );

  // Workspace → load balancer → gateway, on the proxy port, and nothing else in or out of either.
  allowEgress(
    workspacesSecurityGroup,
    'ToEgressGateway',
    gatewayLoadBalancerSecurityGroup,
    EGRESS_GATEWAY_PORT,
    'the internet, only through the egress gateway',
  );
  gatewayLoadBalancerSecurityGroup.addIngressRule(
    workspacesSecurityGroup,
    ec2.Port.tcp(EGRESS_GATEWAY_PORT),
    'egress proxy requests from workspace tasks',
  );
  allowEgress(
    gatewayLoadBalancerSecurityGroup,
    'ToGatewayTasks',
    gatewaySecurityGroup,
    EGRESS_GATEWAY_PORT,
    'requests and health checks to the gateway tasks',
  );
  gatewaySecurityGroup.addIngressRule(
    gatewayLoadBalancerSecurityGroup,
    ec2.Port.tcp(EGRESS_GATEWAY_PORT),
    'egress proxy requests and health checks from the load balancer',
  );
  // The internet on the allowed ports only (the gateway's policy decides which hosts); its image pulls,
  // logs and secrets go through the endpoints.
  for (const port of settings.egress.ports) {
    allowEgress(gatewaySecurityGroup, `ToInternet${port}`, ec2.Peer.anyIpv4(), port, 'the internet');
  }
  allowEgress(
    gatewaySecurityGroup,
    'ToEndpoints',
    endpointsSecurityGroup,
    443,
    'AWS APIs (ECR, Logs, SSM, Secrets Manager) through the VPC endpoints',
  );

  // Gateway endpoints: free, and the route tables of both private tiers send S3/DynamoDB traffic to them.
  const endpointRouteSubnets = [workspaceSubnets, functionSubnets];
  const s3 = vpc.addGatewayEndpoint('S3', {
    service: ec2.GatewayVpcEndpointAwsService.S3,
    subnets: endpointRouteSubnets,
  });
  s3.addToPolicy(
    new iam.PolicyStatement({
      sid: 'BerthFiles',
      principals: [new iam.AnyPrincipal()],
      actions: [
        's3:GetObject',
        's3:GetObjectVersion',
        's3:PutObject',
        's3:DeleteObject',
        's3:ListBucket',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
      ],
      resources: [files.bucketArn, `${files.bucketArn}/*`],
    }),
  );
  s3.addToPolicy(
    new iam.PolicyStatement({
      sid: 'EcrImageLayers',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetObject'],
      resources: [ecrLayerBucketArn(stack.region)],
    }),
  );
  const dynamodb = vpc.addGatewayEndpoint('DynamoDB', {
    service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
    subnets: endpointRouteSubnets,
  });
  dynamodb.addToPolicy(
    new iam.PolicyStatement({
      sid: 'BerthTable',
      principals: [new iam.AnyPrincipal()],
      actions: ['dynamodb:*'],
      resources: [table.tableArn, `${table.tableArn}/index/*`],
    }),
  );

  // Interface endpoints, in the workspace subnets (reachable from both tiers through the endpoints' group).
  // Their services take no resource list that fits every call (ecr:GetAuthorizationToken has none), so their
  // policies admit only this account's principals: stolen foreign credentials get nowhere through them.
  const interfaceServices: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
    EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
    EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    Ecs: ec2.InterfaceVpcEndpointAwsService.ECS,
    StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
    Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
    SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    // The ECS agent on EC2 capacity instances talks to these; Fargate tasks do not need them.
    ...(settings.capacity === 'ec2' && {
      EcsAgent: ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
      EcsTelemetry: ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
    }),
  };
  for (const [id, service] of Object.entries(interfaceServices)) {
    const endpoint = vpc.addInterfaceEndpoint(id, {
      service,
      subnets: workspaceSubnets,
      securityGroups: [endpointsSecurityGroup],
      privateDnsEnabled: true,
      // Ingress comes from the groups above, not from the whole VPC CIDR.
      open: false,
    });
    endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ThisAccountOnly',
        principals: [new iam.AnyPrincipal()],
        actions: ['*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:PrincipalAccount': stack.account } },
      }),
    );
  }

  // S3 and DynamoDB answer on public addresses (reached through the gateway endpoints' routes): egress to
  // them is the region's prefix list. CloudFormation does not expose a list's id, so a deploy-time lookup does.
  const s3PrefixList = ec2.Peer.prefixList(awsPrefixListId(stack, 'S3PrefixList', 's3'));
  allowEgress(
    workspacesSecurityGroup,
    'ToS3',
    s3PrefixList,
    443,
    'S3 (image layers, file transfers) through the gateway endpoint',
  );
  allowEgress(
    gatewaySecurityGroup,
    'ToS3',
    s3PrefixList,
    443,
    'S3 (image layers) through the gateway endpoint',
  );
  allowEgress(
    gatewaySecurityGroup,
    'ToDynamoDB',
    ec2.Peer.prefixList(awsPrefixListId(stack, 'DynamoDBPrefixList', 'dynamodb')),
    443,
    "DynamoDB (each workspace's egress rules) through the gateway endpoint",
  );

  return {
    vpc,
    workspaceSubnets,
    functionSubnets,
    gatewaySubnets,
    functionsSecurityGroup,
    workspacesSecurityGroup,
    endpointsSecurityGroup,
    gatewayLoadBalancerSecurityGroup,
    gatewaySecurityGroup,
  };
}

/**
 * One TCP egress rule of a group created with `allowAllOutbound: false`. CDK's addEgressRule would drop the
 * group's inline match-nothing rule, leaving the group with no inline egress at all: the template would then
 * rely on CloudFormation stripping EC2's default allow-all rule. Keeping it makes "no open egress" explicit.
 */
function allowEgress(
  group: ec2.SecurityGroup,
  id: string,
  peer: ec2.IPeer,
  port: number,
  description: string,
): void {
  new ec2.CfnSecurityGroupEgress(group, id, {
    groupId: group.securityGroupId,
    ...peer.toEgressRuleConfig(),
    ...ec2.Port.tcp(port).toRuleJson(),
    description,
  });
}

/**
 * The id of one of the region's AWS-managed prefix lists (`com.amazonaws.<region>.<service>`), read at
 * deploy time (no context lookup at synth).
 */
function awsPrefixListId(stack: Stack, id: string, service: 's3' | 'dynamodb'): string {
  const prefixListName = `com.amazonaws.${stack.region}.${service}`;
  const lookup = new cr.AwsCustomResource(stack, id, {
    onUpdate: {
      service: 'EC2',
      action: 'describeManagedPrefixLists',
      parameters: { Filters: [{ Name: 'prefix-list-name', Values: [prefixListName] }] },
      physicalResourceId: cr.PhysicalResourceId.of(prefixListName),
      outputPaths: ['PrefixLists.0.PrefixListId'],
    },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    installLatestAwsSdk: false,
    timeout: Duration.minutes(2),
  });
  NagSuppressions.addResourceSuppressions(
    lookup,
    [
      {
        id: 'AwsSolutions-IAM5',
        appliesTo: ['Resource::*'],
        reason:
          'ec2:DescribeManagedPrefixLists supports no resource-level permissions: it needs Resource "*"',
      },
    ],
    true,
  );
  suppressAwsCustomResourceProvider(stack);
  return lookup.getResponseField('PrefixLists.0.PrefixListId');
}
