import type { Template } from 'aws-cdk-lib/assertions';
import { use, type StackContext } from 'sst/constructs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Data } from '../Data.js';
import { Network, WORKSPACE_PORTS } from '../Network.js';
import { nag, type NagReport } from './nag.js';
import { synthStacks } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };
type Ref = { Ref: string };
type GetAtt = { 'Fn::GetAtt': [string, string] };

const REGION = 'us-east-1';
const ZONES = [`${REGION}a`, `${REGION}b`];
const FARGATE_INTERFACE_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'logs', 'ecs', 'states', 'ssm', 'secretsmanager'];

/** Logical ids of a template's resources of one type whose properties match `where`. */
const idsOf = (template: Template, type: string, where?: Record<string, unknown>) =>
  Object.keys(template.findResources(type, where ? { Properties: where } : undefined));
/** The logical id of the one resource of a type whose properties match `where`. */
function onlyId(template: Template, type: string, where?: Record<string, unknown>): string {
  const [id, ...more] = idsOf(template, type, where);
  if (!id || more.length) throw new Error(`expected one ${type} matching ${JSON.stringify(where)}`);
  return id;
}
const resources = (template: Template, type: string) =>
  Object.values(template.findResources(type)) as Resource[];
const resource = (template: Template, id: string) => template.toJSON().Resources[id] as Resource;
const groupId = (id: string): GetAtt => ({ 'Fn::GetAtt': [id, 'GroupId'] });
const sorted = <T>(values: T[]) =>
  [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** Subnets of one kind (the subnet-type tag CDK writes: Public, Private, Isolated) and their route tables. */
function tier(template: Template, kind: 'Public' | 'Private' | 'Isolated') {
  const subnets = Object.entries(template.findResources('AWS::EC2::Subnet')).filter(([, s]) =>
    (s as Resource & { Properties: { Tags: { Key: string; Value: string }[] } }).Properties.Tags.some(
      (t) => t.Key === 'aws-cdk:subnet-type' && t.Value === kind,
    ),
  );
  const subnetIds = subnets.map(([id]) => id);
  const routeTables = resources(template, 'AWS::EC2::SubnetRouteTableAssociation')
    .filter((a) => subnetIds.includes((a.Properties.SubnetId as Ref).Ref))
    .map((a) => (a.Properties.RouteTableId as Ref).Ref);
  return { subnets: subnets.map(([, s]) => s as Resource), subnetIds, routeTables };
}

/** The stack that uses Network the way Workspaces does, to see its return value. */
let network: ReturnType<typeof Network> | undefined;
function Probe(_: StackContext) {
  network = use(Network);
}

describe('Network stack', () => {
  let template: Template;
  let data: Template;
  let ids: { functions: string; workspaces: string; endpoints: string };
  beforeAll(async () => {
    const templates = await synthStacks([Data, Network, Probe]);
    template = templates.get(Network)!;
    data = templates.get(Data)!;
    const [functions, workspaces, endpoints] = [
      'Berth control-plane functions',
      'Berth workspace tasks: reachable from the functions only, no open egress',
      'Berth interface VPC endpoints',
    ].map((description) => onlyId(template, 'AWS::EC2::SecurityGroup', { GroupDescription: description }));
    ids = { functions: functions!, workspaces: workspaces!, endpoints: endpoints! };
  }, 120_000);

  it('returns the VPC, the subnet selections and the three security groups', () => {
    expect(Object.keys(network!).sort()).toEqual([
      'endpointsSecurityGroup',
      'functionSubnets',
      'functionsSecurityGroup',
      'vpc',
      'workspaceSubnets',
      'workspacesSecurityGroup',
    ]);
    expect(network!.vpc.selectSubnets(network!.workspaceSubnets).subnets).toEqual(
      network!.vpc.isolatedSubnets,
    );
    expect(network!.vpc.selectSubnets(network!.functionSubnets).subnets).toEqual(network!.vpc.privateSubnets);
  });

  it('spans two named availability zones, with a public, a functions and a workspaces subnet in each', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    for (const kind of ['Public', 'Private', 'Isolated'] as const) {
      const zones = tier(template, kind).subnets.map((s) => s.Properties.AvailabilityZone);
      expect(zones, kind).toEqual(ZONES);
    }
  });

  it('gives the workspace subnets no route out of the VPC and no public addresses', () => {
    const isolated = tier(template, 'Isolated');
    expect(isolated.routeTables).toHaveLength(2);
    const routes = resources(template, 'AWS::EC2::Route').filter((r) =>
      isolated.routeTables.includes((r.Properties.RouteTableId as Ref).Ref),
    );
    // Not just "no 0.0.0.0/0": no route of any kind (the gateway endpoints' routes are not Route resources).
    expect(routes).toEqual([]);
    for (const subnet of isolated.subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  it('routes the function subnets to the internet through NAT only', () => {
    const privateTier = tier(template, 'Private');
    const routes = resources(template, 'AWS::EC2::Route').filter((r) =>
      privateTier.routeTables.includes((r.Properties.RouteTableId as Ref).Ref),
    );
    expect(routes).toHaveLength(2);
    for (const route of routes) {
      expect(route.Properties).toMatchObject({
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: expect.anything(),
      });
      expect(route.Properties.GatewayId).toBeUndefined();
    }
  });

  it('attaches the S3 and DynamoDB gateway endpoints to the workspace and function route tables only', () => {
    const expected = sorted(
      [...tier(template, 'Isolated').routeTables, ...tier(template, 'Private').routeTables].map((id) => ({
        Ref: id,
      })),
    );
    for (const service of ['s3', 'dynamodb']) {
      const endpoint = gatewayEndpoint(template, service);
      expect(sorted(endpoint.Properties.RouteTableIds as Ref[]), service).toEqual(expected);
    }
  });

  it("limits the S3 endpoint to Berth's bucket and ECR's layer bucket", () => {
    // The files bucket (versioned), not its access-log bucket.
    const bucketArn = importOf(data, template, 'AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
    });
    const statements = policyOf(gatewayEndpoint(template, 's3'));
    expect(statements.flatMap((s) => [s.Resource].flat())).toEqual([
      bucketArn,
      { 'Fn::Join': ['', [bucketArn, '/*']] },
      `arn:aws:s3:::prod-${REGION}-starport-layer-bucket/*`,
    ]);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect([statement.Action].flat().every((a) => /^s3:[A-Za-z]+$/.test(a as string))).toBe(true);
    }
  });

  it("limits the DynamoDB endpoint to Berth's table and its indexes", () => {
    const tableArn = importOf(data, template, 'AWS::DynamoDB::Table');
    const resourcesAllowed = policyOf(gatewayEndpoint(template, 'dynamodb')).flatMap((s) =>
      [s.Resource].flat(),
    );
    expect(resourcesAllowed).toEqual([tableArn, { 'Fn::Join': ['', [tableArn, '/index/*']] }]);
  });

  it('has interface endpoints with private DNS in the workspace subnets, behind the endpoints group', () => {
    const endpoints = interfaceEndpoints(template);
    expect(Object.keys(endpoints).sort()).toEqual([...FARGATE_INTERFACE_ENDPOINTS].sort());
    const workspaceSubnets = sorted(tier(template, 'Isolated').subnetIds.map((id) => ({ Ref: id })));
    for (const [service, endpoint] of Object.entries(endpoints)) {
      expect(endpoint.Properties.PrivateDnsEnabled, service).toBe(true);
      expect(sorted(endpoint.Properties.SubnetIds as Ref[]), service).toEqual(workspaceSubnets);
      expect(endpoint.Properties.SecurityGroupIds, service).toEqual([groupId(ids.endpoints)]);
      // Only this account's principals may use them.
      expect(policyOf(endpoint), service).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Condition: { StringEquals: { 'aws:PrincipalAccount': '123456789012' } },
        }),
      ]);
    }
  });

  it('lets only the functions reach the agent and sidecar admin ports of a workspace', () => {
    expect(resource(template, ids.workspaces).Properties.SecurityGroupIngress).toBeUndefined();
    const ingress = rulesOf(template, 'AWS::EC2::SecurityGroupIngress', ids.workspaces);
    expect(sorted(ingress.map((r) => ({ ...r, Description: undefined })))).toEqual(
      sorted(
        [WORKSPACE_PORTS.agent, WORKSPACE_PORTS.proxyAdmin].map((port) => ({
          GroupId: groupId(ids.workspaces),
          SourceSecurityGroupId: groupId(ids.functions),
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          Description: undefined,
        })),
      ),
    );
  });

  it('gives workspace tasks no open egress: HTTPS to the endpoints group and the S3 prefix list only', () => {
    // The inline egress is CDK's match-nothing rule, so EC2 adds no default allow-all rule.
    expect(resource(template, ids.workspaces).Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' }),
    ]);
    const egress = rulesOf(template, 'AWS::EC2::SecurityGroupEgress', ids.workspaces);
    expect(egress).toHaveLength(2);
    for (const rule of egress) {
      expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
      expect(rule.CidrIp ?? rule.CidrIpv6).toBeUndefined();
    }
    expect(egress.map((r) => r.DestinationSecurityGroupId).filter(Boolean)).toEqual([groupId(ids.endpoints)]);
    const prefixList = egress.find((r) => r.DestinationPrefixListId)!.DestinationPrefixListId as GetAtt;
    // The S3 prefix list, read at deploy time.
    const lookup = resource(template, prefixList['Fn::GetAtt'][0]);
    expect(lookup.Type).toBe('Custom::AWS');
    expect(lookup.Properties.Create).toContain(`com.amazonaws.${REGION}.s3`);
  });

  it('opens the endpoints group on 443 to the functions and workspaces groups only', () => {
    const ingress = rulesOf(template, 'AWS::EC2::SecurityGroupIngress', ids.endpoints);
    expect(sorted(ingress.map((r) => r.SourceSecurityGroupId))).toEqual(
      sorted([groupId(ids.functions), groupId(ids.workspaces)]),
    );
    for (const rule of ingress) expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(resource(template, ids.endpoints).Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('records every flow of the VPC in a log group with retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('Network stack settings', () => {
  const settings = {
    BERTH_CAPACITY: 'ec2',
    BERTH_BEDROCK_ENDPOINT: '1',
    BERTH_AZS: 'us-east-1c,us-east-1d,us-east-1f',
  };
  afterEach(() => {
    for (const name of Object.keys(settings)) delete process.env[name];
  });

  it('adds the ECS agent endpoints for EC2 capacity and Bedrock runtime when asked, and takes named zones', async () => {
    Object.assign(process.env, settings);
    const template = (await synthStacks([Data, Network])).get(Network)!;
    expect(Object.keys(interfaceEndpoints(template)).sort()).toEqual(
      [...FARGATE_INTERFACE_ENDPOINTS, 'ecs-agent', 'ecs-telemetry', 'bedrock-runtime'].sort(),
    );
    expect(tier(template, 'Isolated').subnets.map((s) => s.Properties.AvailabilityZone)).toEqual([
      'us-east-1c',
      'us-east-1d',
      'us-east-1f',
    ]);
  }, 120_000);
});

describe('Network stack cdk-nag (AwsSolutions)', () => {
  let report: NagReport;
  beforeAll(async () => {
    report = await nag([Data, Network]);
  }, 120_000);

  it('has no unsuppressed error, and cdk-nag could evaluate every rule', () => {
    expect(report.errors).toEqual([]);
    expect(report.validationFailures).toEqual([]);
  });

  it('suppresses only what Berth cannot change, each with its reason', () => {
    const rules = [...new Set(report.suppressions.map((s) => s.id))].sort();
    expect(rules).toEqual(['AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1']);
    for (const s of report.suppressions) expect(s.reason.length, `${s.path} ${s.id}`).toBeGreaterThan(30);
  });
});

function gatewayEndpoint(template: Template, service: string): Resource {
  const [endpoint] = resources(template, 'AWS::EC2::VPCEndpoint').filter(
    (e) =>
      e.Properties.VpcEndpointType === 'Gateway' &&
      JSON.stringify(e.Properties.ServiceName).includes(`.${service}"`),
  );
  if (!endpoint) throw new Error(`no ${service} gateway endpoint`);
  return endpoint;
}

/** Interface endpoints by service suffix (`com.amazonaws.us-east-1.ecr.api` → `ecr.api`). */
function interfaceEndpoints(template: Template): Record<string, Resource> {
  return Object.fromEntries(
    resources(template, 'AWS::EC2::VPCEndpoint')
      .filter((e) => e.Properties.VpcEndpointType === 'Interface')
      .map((e) => [(e.Properties.ServiceName as string).replace(`com.amazonaws.${REGION}.`, ''), e]),
  );
}

type Statement = { Effect: string; Action: unknown; Resource: unknown; Condition?: unknown };
const policyOf = (endpoint: Resource) =>
  (endpoint.Properties.PolicyDocument as { Statement: Statement[] }).Statement;

/** The Fn::ImportValue by which `consumer` reads the ARN of the one `type` resource of `producer`. */
function importOf(producer: Template, consumer: Template, type: string, where?: Record<string, unknown>) {
  const logicalId = onlyId(producer, type, where);
  const outputs = producer.findOutputs('*', { Value: { 'Fn::GetAtt': [logicalId, 'Arn'] } });
  const exportName = (Object.values(outputs)[0] as { Export: { Name: string } }).Export.Name;
  expect(JSON.stringify(consumer.toJSON())).toContain(exportName);
  return { 'Fn::ImportValue': exportName };
}

/** The standalone ingress/egress rules attached to one security group. */
function rulesOf(template: Template, type: string, group: string): Record<string, unknown>[] {
  return resources(template, type)
    .filter((r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(groupId(group)))
    .map((r) => r.Properties);
}
