import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROPAGATION_MS } from '../../packages/aws/src/egress/gateway-egress.js';
import { loadGatewayConfigFromEnv } from '../../proxy-sidecar/src/gateway/gateway-config.js';
import { Api } from '../Api.js';
import { bedrockModelArns, parseBedrockModelId } from '../bedrock-models.js';
import { Data } from '../Data.js';
import {
  EGRESS_GATEWAY_SERVICE,
  EgressGateway,
  GATEWAY_COMMAND,
  GATEWAY_CONTAINER,
  GATEWAY_POLICY_TTL_MS,
} from '../EgressGateway.js';
import { Events } from '../Events.js';
import { EGRESS_GATEWAY_PORT, Network } from '../Network.js';
import { Observability } from '../Observability.js';
import { agentPublicKeyParameterName, anthropicApiKeySecretName } from '../operator-secrets.js';
import { Provisioning } from '../Provisioning.js';
import { Stopping } from '../Stopping.js';
import { Workspaces } from '../Workspaces.js';
import { nag, type NagReport } from './nag.js';
import { synthStacks, withBerthEnv, type StackFn } from './synth.js';

const STACKS = [Data, Network, EgressGateway];
/** The app's stacks in sst.config.ts's order. */
const APP = [Data, Network, EgressGateway, Workspaces, Provisioning, Stopping, Api, Events, Observability];

const PROFILE = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const BEDROCK = { BERTH_MODEL_PROVIDER: 'bedrock', BERTH_BEDROCK_MODELS: `${PROFILE},${MODEL}` };

const synthWith = (vars: Record<string, string>, stacks: readonly StackFn[] = STACKS) =>
  withBerthEnv(vars, () => synthStacks(stacks));

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Sid?: string };
interface ContainerDefinition {
  Name: string;
  Command?: string[];
  User?: string;
  Image: unknown;
  ReadonlyRootFilesystem?: boolean;
  Privileged?: boolean;
  LinuxParameters?: { InitProcessEnabled?: boolean; Capabilities?: { Drop?: string[] } };
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  PortMappings?: { ContainerPort: number }[];
  LogConfiguration?: { LogDriver: string; Options: Record<string, unknown> };
}

const only = <T>(template: Template, type: string): [string, T] => {
  const found = Object.entries(template.findResources(type));
  expect(found, type).toHaveLength(1);
  return found[0] as [string, T];
};
const propsOf = <T = Record<string, unknown>>(template: Template, type: string) =>
  only<{ Properties: T }>(template, type)[1].Properties;
const gatewayContainer = (template: Template) =>
  propsOf<{ ContainerDefinitions: ContainerDefinition[] }>(template, 'AWS::ECS::TaskDefinition')
    .ContainerDefinitions[0]!;
const env = (c: ContainerDefinition) =>
  Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));
/** The statements of the policies attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(template: Template, rolePrefix: string): Statement[] {
  return Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] },
    }),
  ).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat()).sort();
/** An ARN as CDK writes it: `arn:` + the partition + the rest. */
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const importOf = (pattern: RegExp) => ({ 'Fn::ImportValue': expect.stringMatching(pattern) });
const natSubnets = [importOf(/Network:.*functionsSubnet1/), importOf(/Network:.*functionsSubnet2/)];

describe('EgressGateway stack (Anthropic mode, the default)', () => {
  let template: Template;
  beforeAll(async () => {
    template = (await synthWith({})).get(EgressGateway)!;
  }, 120_000);

  it('runs the gateway as a Fargate service of two arm64 tasks in the NAT subnets, never below two in a deploy', () => {
    const service = propsOf(template, 'AWS::ECS::Service');
    expect(service).toMatchObject({
      LaunchType: 'FARGATE',
      DesiredCount: 2,
      EnableExecuteCommand: false,
      DeploymentConfiguration: {
        MinimumHealthyPercent: 100,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          Subnets: natSubnets,
          SecurityGroups: [importOf(/Network:.*GatewaySecurityGroup[0-9A-F]+GroupId/)],
        },
      },
    });
    const td = propsOf(template, 'AWS::ECS::TaskDefinition');
    expect(td).toMatchObject({
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '512',
      Memory: '1024',
    });
  });

  it('scales on CPU between the minimum and the maximum task count', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
  });

  it('puts it behind an internal NLB in the NAT subnets: TCP 3128 to the tasks, health-checked on 3128', () => {
    const [lbId] = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(propsOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer')).toMatchObject({
      Type: 'network',
      Scheme: 'internal',
      Subnets: natSubnets,
      SecurityGroups: [importOf(/Network:.*GatewayLoadBalancerSecurityGroup/)],
      LoadBalancerAttributes: expect.arrayContaining([
        { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
      ]),
    });
    const [tgId] = only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(propsOf(template, 'AWS::ElasticLoadBalancingV2::Listener')).toMatchObject({
      LoadBalancerArn: { Ref: lbId },
      Port: EGRESS_GATEWAY_PORT,
      Protocol: 'TCP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: tgId } }],
    });
    const tg = propsOf(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(tg).toMatchObject({ Port: 3128, Protocol: 'TCP', TargetType: 'ip', HealthCheckProtocol: 'TCP' });
    // The default health-check port is the traffic port.
    expect(tg.HealthCheckPort ?? 'traffic-port').toBe('traffic-port');
    expect(propsOf(template, 'AWS::ECS::Service').LoadBalancers).toEqual([
      { ContainerName: GATEWAY_CONTAINER, ContainerPort: 3128, TargetGroupArn: { Ref: tgId } },
    ]);
    expect(Object.keys(template.findOutputs('EgressGateway'))).toHaveLength(1);
  });

  it('runs the proxy image as the gateway program, hardened like the workspace containers', () => {
    const c = gatewayContainer(template);
    expect(c.Command).toEqual(GATEWAY_COMMAND);
    expect(JSON.stringify(c.Image)).toContain('container-assets');
    expect(c).toMatchObject({
      ReadonlyRootFilesystem: true,
      Privileged: false,
      LinuxParameters: { InitProcessEnabled: true, Capabilities: { Drop: ['ALL'] } },
      PortMappings: [expect.objectContaining({ ContainerPort: 3128 })],
    });
    expect(c.User).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  it('configures the gateway with its listener, the policy table and a 1 s policy cache, and no allowlist by default', () => {
    expect(env(gatewayContainer(template))).toEqual({
      PROXY_LISTEN: '0.0.0.0:3128',
      PROXY_POLICY_TABLE: importOf(/-Data:ExportsOutputRefWorkspacesTable/),
      PROXY_POLICY_TTL_MS: '1000',
      AWS_REGION: 'us-east-1',
    });
    // PUT /egress answers once every gateway task's cache has let the old rules go.
    expect(GATEWAY_POLICY_TTL_MS).toBeLessThan(DEFAULT_PROPAGATION_MS);
  });

  it("hands it the public key and the Anthropic key through ECS secrets, by the secret's name", () => {
    expect(gatewayContainer(template).Secrets).toEqual([
      {
        Name: 'PROXY_TOKEN_PUBLIC_KEY',
        ValueFrom: arn(`:ssm:us-east-1:123456789012:parameter${agentPublicKeyParameterName('test')}`),
      },
      // The name, not CDK's partial ARN (which ECS refuses with AccessDenied).
      { Name: 'PROXY_ANTHROPIC_API_KEY', ValueFrom: anthropicApiKeySecretName('test') },
    ]);
    const reads = statementsOf(template, 'GatewayExecutionRole').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
    );
    expect(reads).toEqual([
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: arn(
          `:secretsmanager:us-east-1:123456789012:secret:${anthropicApiKeySecretName('test')}-??????`,
        ),
      }),
    ]);
  });

  it('lets its task role read workspace items only: dynamodb:GetItem on the table', () => {
    const statements = statementsOf(template, 'GatewayTaskTaskRole');
    expect(statements).toEqual([
      {
        Sid: 'WorkspacePolicies',
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: importOf(/-Data:ExportsOutputFnGetAttWorkspacesTable.*Arn/),
      },
    ]);
  });

  it('lets its execution role only pull its image, write its logs and read the two keys', () => {
    for (const action of actionsOf(statementsOf(template, 'GatewayExecutionRole')))
      expect(action).toMatch(
        /^(ecr:(BatchCheckLayerAvailability|GetDownloadUrlForLayer|BatchGetImage|GetAuthorizationToken)|logs:(CreateLogStream|PutLogEvents)|ssm:(DescribeParameters|GetParameters|GetParameter|GetParameterHistory)|secretsmanager:GetSecretValue)$/,
      );
  });

  it('logs to its own group with the retention of the settings, and counts policy_unavailable refusals', () => {
    const [logGroupId] = only(template, 'AWS::Logs::LogGroup');
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(gatewayContainer(template).LogConfiguration).toMatchObject({
      LogDriver: 'awslogs',
      Options: { 'awslogs-group': { Ref: logGroupId } },
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logGroupId },
      FilterPattern: '{ ($.message = "egress") && ($.reason = "policy_unavailable") }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Berth', MetricValue: '1' })],
    });
  });

  it('has an environment the gateway program accepts (its parser refuses unknown PROXY_* variables)', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const deployed = {
      ...Object.fromEntries(
        Object.entries(env(gatewayContainer(template))).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : 'berth-table',
        ]),
      ),
      PROXY_TOKEN_PUBLIC_KEY: publicKey.export({ format: 'jwk' }).x!,
      PROXY_ANTHROPIC_API_KEY: 'sk-ant-test',
    };
    const config = loadGatewayConfigFromEnv(deployed);
    expect(config.listen).toMatchObject({ port: 3128 });
    expect(config.policyCache.ttlMs).toBe(GATEWAY_POLICY_TTL_MS);
    expect(config.basePolicy.anthropic?.hosts).toEqual(['api.anthropic.com']);
    expect(config.basePolicy.bedrock).toBeNull();
  });

  it("names its metrics' service as the gateway program does (one catalog, core's SERVICE)", () => {
    const main = readFileSync(new URL('../../proxy-sidecar/src/gateway/main.ts', import.meta.url), 'utf8');
    expect(main).toMatch(/const GATEWAY_SERVICE = SERVICE\.egressGateway;/);
    expect(EGRESS_GATEWAY_SERVICE).toBe('berth-egress-gateway');
  });
});

describe('EgressGateway stack in Bedrock mode', () => {
  let templates: Map<StackFn, Template>;
  let template: Template;
  beforeAll(async () => {
    templates = await synthWith({ ...BEDROCK, BERTH_EGRESS_ALLOW: 'pypi.org,*.github.com:443' }, APP);
    template = templates.get(EgressGateway)!;
  }, 120_000);

  it('signs Bedrock calls in the stack region, with no key secret anywhere in the app', () => {
    const c = gatewayContainer(template);
    expect(env(c)).toMatchObject({
      PROXY_BEDROCK_REGION: 'us-east-1',
      PROXY_ALLOW_DOMAINS: 'pypi.org,*.github.com:443',
    });
    expect(c.Secrets?.map((s) => s.Name)).toEqual(['PROXY_TOKEN_PUBLIC_KEY']);
    for (const [stack, t] of templates)
      expect(JSON.stringify(t.toJSON()), (stack as { name: string }).name).not.toMatch(/anthropic-api-key/);
  });

  it('lets its task role invoke exactly the configured models (a profile: itself and its model in any region)', () => {
    const statements = statementsOf(template, 'GatewayTaskTaskRole');
    expect(actionsOf(statements)).toEqual([
      'bedrock:InvokeModel',
      'bedrock:InvokeModelWithResponseStream',
      'dynamodb:GetItem',
    ]);
    const invoke = statements.find((s) => s.Sid === 'ConfiguredModels')!;
    expect(invoke.Resource).toEqual([
      arn(`:bedrock:us-east-1:123456789012:inference-profile/${PROFILE}`),
      arn(':bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0'),
      arn(`:bedrock:us-east-1::foundation-model/${MODEL}`),
    ]);
  });

  it('gives no other role of the app a Bedrock action', () => {
    for (const [stack, t] of templates) {
      if (stack === EgressGateway) continue;
      expect(JSON.stringify(t.toJSON()), (stack as { name: string }).name).not.toMatch(/"bedrock:/);
    }
  });

  it('has an environment the gateway program accepts, with Bedrock signing for the region', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const config = loadGatewayConfigFromEnv({
      ...Object.fromEntries(
        Object.entries(env(gatewayContainer(template))).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : 'berth-table',
        ]),
      ),
      PROXY_TOKEN_PUBLIC_KEY: publicKey.export({ format: 'jwk' }).x!,
    });
    expect(config.basePolicy.bedrock).toMatchObject({
      region: 'us-east-1',
      hosts: ['bedrock-runtime.us-east-1.amazonaws.com'],
    });
    expect(config.basePolicy.anthropic).toBeNull();
    expect(config.basePolicy.allowDomains).toHaveLength(2);
  });
});

describe('the Anthropic key in the app (Anthropic mode)', () => {
  it("is referenced only by the gateway's task definition and its execution role", async () => {
    const templates = await synthWith({}, APP);
    const holders = [...templates].flatMap(([stack, t]) =>
      Object.entries(t.toJSON().Resources as Record<string, { Type: string }>)
        .filter(([, r]) => JSON.stringify(r).includes(anthropicApiKeySecretName('test')))
        .map(([id, r]) => `${(stack as { name: string }).name}/${r.Type}/${id.replace(/[0-9A-F]{8}$/, '')}`),
    );
    expect(holders.sort()).toEqual([
      'EgressGateway/AWS::ECS::TaskDefinition/GatewayTask',
      'EgressGateway/AWS::IAM::Policy/GatewayExecutionRoleDefaultPolicy',
    ]);
    // In the task definition, only the gateway container's secrets hold it.
    const c = gatewayContainer(templates.get(EgressGateway)!);
    expect(JSON.stringify({ ...c, Secrets: [] })).not.toContain('anthropic-api-key');
  }, 120_000);
});

describe('bedrockModelArns', () => {
  it('tells inference profiles from foundation models by their geography prefix', () => {
    expect(parseBedrockModelId(PROFILE)).toEqual({
      profile: true,
      foundationModel: 'anthropic.claude-sonnet-4-20250514-v1:0',
    });
    expect(parseBedrockModelId('global.anthropic.claude-x-v1:0').profile).toBe(true);
    expect(parseBedrockModelId(MODEL)).toEqual({ profile: false, foundationModel: MODEL });
    // A provider that happens to look like a geography is still a model when nothing follows.
    expect(parseBedrockModelId('us.model').profile).toBe(false);
  });

  it('lists each model once', () => {
    const stack = new Stack(new App(), 'Models', { env: { account: '123456789012', region: 'us-east-1' } });
    const resolved = (ids: string[]) => stack.resolve(bedrockModelArns(stack, 'us-east-1', ids)) as unknown[];
    expect(resolved([MODEL, MODEL])).toHaveLength(1);
    // Two profiles of one model share its any-region model ARN.
    expect(resolved([PROFILE, `eu.${PROFILE.slice(3)}`])).toHaveLength(3);
  });
});

describe('cdk-nag AwsSolutions on the EgressGateway stack', () => {
  const check = (report: NagReport) => {
    expect(report.errors).toEqual([]);
    expect(report.validationFailures).toEqual([]);
    for (const s of report.suppressions) expect(s.reason.length, `${s.path} ${s.id}`).toBeGreaterThan(30);
    return [...new Set(report.suppressions.map((s) => s.id))].sort();
  };
  it('finds no unsuppressed error in Anthropic mode; it suppresses only what Berth cannot change', async () => {
    expect(check(await withBerthEnv({}, () => nag(STACKS)))).toEqual([
      'AwsSolutions-ECS2',
      'AwsSolutions-ELB2',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-L1',
    ]);
  }, 120_000);
  it('finds no unsuppressed error in Bedrock mode', async () => {
    check(await withBerthEnv(BEDROCK, () => nag(STACKS)));
  }, 120_000);
});
