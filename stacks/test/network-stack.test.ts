import type { Template } from 'aws-cdk-lib/assertions';
import { use, type StackContext } from 'sst/constructs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Data } from '../Data.js';
import { EGRESS_GATEWAY_PORT, Network, WORKSPACE_PORTS } from '../Network.js';
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
/** JSON with every object's keys in order: two equal rules give one text whatever their key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
const sorted = <T>(values: T[]) => [...values].sort((a, b) => canonical(a).localeCompare(canonical(b)));

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
  let ids: SecurityGroupIds;
  beforeAll(async () => {
    const templates = await synthStacks([Data, Network, Probe]);
    template = templates.get(Network)!;
    data = templates.get(Data)!;
    ids = securityGroupIds(template);
  }, 120_000);

  it('returns the VPC, the subnet selections and the five security groups', () => {
    expect(Object.keys(network!).sort()).toEqual([
      'endpointsSecurityGroup',
      'functionSubnets',
      'functionsSecurityGroup',
      'gatewayLoadBalancerSecurityGroup',
      'gatewaySecurityGroup',
      'gatewaySubnets',
      'vpc',
      'workspaceSubnets',
      'workspacesSecurityGroup',
    ]);
    expect(network!.vpc.selectSubnets(network!.workspaceSubnets).subnets).toEqual(
      network!.vpc.isolatedSubnets,
    );
    expect(network!.vpc.selectSubnets(network!.functionSubnets).subnets).toEqual(network!.vpc.privateSubnets);
    // The egress gateway needs NAT: the private tier.
    expect(network!.vpc.selectSubnets(network!.gatewaySubnets).subnets).toEqual(network!.vpc.privateSubnets);
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

  it('gives workspace tasks no open egress: the gateway load balancer, the endpoints and the S3 prefix list only', () => {
    // The inline egress is CDK's match-nothing rule, so EC2 adds no default allow-all rule.
    expect(resource(template, ids.workspaces).Properties.SecurityGroupEgress).toEqual([MATCH_NOTHING]);
    const egress = rulesOf(template, 'AWS::EC2::SecurityGroupEgress', ids.workspaces);
    const s3 = egress.find((r) => r.DestinationPrefixListId)?.DestinationPrefixListId as GetAtt;
    expect(sorted(egress.map(withoutDescription))).toEqual(
      sorted([
        tcp(ids.workspaces, EGRESS_GATEWAY_PORT, { DestinationSecurityGroupId: groupId(ids.loadBalancer) }),
        tcp(ids.workspaces, 443, { DestinationSecurityGroupId: groupId(ids.endpoints) }),
        tcp(ids.workspaces, 443, { DestinationPrefixListId: s3 }),
      ]),
    );
    // The S3 prefix list, read at deploy time.
    expect(prefixListLookup(template, s3)).toContain(`com.amazonaws.${REGION}.s3`);
  });

  it('opens the endpoints group on 443 to the functions, workspaces and gateway groups only', () => {
    const ingress = rulesOf(template, 'AWS::EC2::SecurityGroupIngress', ids.endpoints);
    expect(sorted(ingress.map((r) => r.SourceSecurityGroupId))).toEqual(
      sorted([groupId(ids.functions), groupId(ids.workspaces), groupId(ids.gateway)]),
    );
    for (const rule of ingress) expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(resource(template, ids.endpoints).Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('lets only workspace tasks reach the gateway load balancer, and it only the gateway tasks', () => {
    const lb = ids.loadBalancer;
    expect(resource(template, lb).Properties.SecurityGroupIngress).toBeUndefined();
    expect(resource(template, lb).Properties.SecurityGroupEgress).toEqual([MATCH_NOTHING]);
    expect(rulesOf(template, 'AWS::EC2::SecurityGroupIngress', lb).map(withoutDescription)).toEqual([
      tcp(lb, EGRESS_GATEWAY_PORT, { SourceSecurityGroupId: groupId(ids.workspaces) }),
    ]);
    expect(rulesOf(template, 'AWS::EC2::SecurityGroupEgress', lb).map(withoutDescription)).toEqual([
      tcp(lb, EGRESS_GATEWAY_PORT, { DestinationSecurityGroupId: groupId(ids.gateway) }),
    ]);
  });

  it('lets the gateway tasks be reached from their load balancer only, and out on the allowed ports', () => {
    const gw = ids.gateway;
    expect(resource(template, gw).Properties.SecurityGroupIngress).toBeUndefined();
    expect(resource(template, gw).Properties.SecurityGroupEgress).toEqual([MATCH_NOTHING]);
    expect(rulesOf(template, 'AWS::EC2::SecurityGroupIngress', gw).map(withoutDescription)).toEqual([
      tcp(gw, EGRESS_GATEWAY_PORT, { SourceSecurityGroupId: groupId(ids.loadBalancer) }),
    ]);
    const egress = rulesOf(template, 'AWS::EC2::SecurityGroupEgress', gw);
    const prefixLists = egress.flatMap((r) =>
      r.DestinationPrefixListId ? [r.DestinationPrefixListId as GetAtt] : [],
    );
    expect(prefixLists.map((p) => prefixListLookup(template, p)).sort()).toEqual([
      expect.stringContaining(`com.amazonaws.${REGION}.dynamodb`),
      expect.stringContaining(`com.amazonaws.${REGION}.s3`),
    ]);
    expect(sorted(egress.map(withoutDescription))).toEqual(
      sorted([
        // The internet: BERTH_EGRESS_PORTS' default.
        tcp(gw, 80, { CidrIp: '0.0.0.0/0' }),
        tcp(gw, 443, { CidrIp: '0.0.0.0/0' }),
        // Its own dependencies: ECR, Logs, SSM, Secrets Manager; S3 (image layers); DynamoDB (policies).
        tcp(gw, 443, { DestinationSecurityGroupId: groupId(ids.endpoints) }),
        ...prefixLists.map((p) => tcp(gw, 443, { DestinationPrefixListId: p })),
      ]),
    );
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
    BERTH_AZS: 'us-east-1c,us-east-1d,us-east-1f',
    BERTH_EGRESS_PORTS: '443,8443',
  };
  afterEach(() => {
    for (const name of Object.keys(settings)) delete process.env[name];
  });

  it('adds the ECS agent endpoints for EC2 capacity, takes named zones and opens the gateway on the set ports', async () => {
    Object.assign(process.env, settings);
    const template = (await synthStacks([Data, Network])).get(Network)!;
    expect(Object.keys(interfaceEndpoints(template)).sort()).toEqual(
      [...FARGATE_INTERFACE_ENDPOINTS, 'ecs-agent', 'ecs-telemetry'].sort(),
    );
    const internet = rulesOf(template, 'AWS::EC2::SecurityGroupEgress', securityGroupIds(template).gateway)
      .filter((r) => r.CidrIp === '0.0.0.0/0')
      .map((r) => r.FromPort);
    expect(internet.sort()).toEqual([443, 8443]);
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

/** Logical ids of the five security groups, found by their descriptions. */
interface SecurityGroupIds {
  functions: string;
  workspaces: string;
  endpoints: string;
  loadBalancer: string;
  gateway: string;
}
function securityGroupIds(template: Template): SecurityGroupIds {
  const find = (description: string) =>
    onlyId(template, 'AWS::EC2::SecurityGroup', { GroupDescription: description });
  return {
    functions: find('Berth control-plane functions'),
    workspaces: find('Berth workspace tasks: reachable from the functions only, no open egress'),
    endpoints: find('Berth interface VPC endpoints'),
    loadBalancer: find(
      'Berth egress gateway load balancer: from workspace tasks only, to the gateway tasks only',
    ),
    gateway: find('Berth egress gateway tasks: from their load balancer only, out on the allowed ports'),
  };
}

/** CDK's inline egress rule of a group without open egress: it matches no traffic. */
const MATCH_NOTHING = expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' });

/** A standalone TCP rule of `group` on one port, to or from `peer`, as CloudFormation has it. */
const tcp = (group: string, port: number, peer: Record<string, unknown>) => ({
  GroupId: groupId(group),
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  ...peer,
});
const withoutDescription = ({ Description: _, ...rule }: Record<string, unknown>) => rule;

/** The `Create` call of the custom resource a prefix-list reference reads its id from. */
function prefixListLookup(template: Template, ref: GetAtt): string {
  const lookup = resource(template, ref['Fn::GetAtt'][0]);
  expect(lookup.Type).toBe('Custom::AWS');
  return JSON.stringify(lookup.Properties.Create);
}
