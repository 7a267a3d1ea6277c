import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../Api.js';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import { Events } from '../Events.js';
import { Stopping } from '../Stopping.js';
import { ENTRY_ACCESS, type BerthEntry } from '../lambda-function.js';
import { Network } from '../Network.js';
import { Observability } from '../Observability.js';
import { Provisioning } from '../Provisioning.js';
import { agentSigningKeySecretName } from '../operator-secrets.js';
import { Workspaces } from '../Workspaces.js';
import { synthStacks } from './synth.js';

/** The app's stacks in sst.config.ts's order. */
const APP = [Data, Network, EgressGateway, Workspaces, Provisioning, Stopping, Api, Events, Observability];

// What every Berth function needs to run at all: its own log group, the ENIs of a VPC function, X-Ray.
const RUN = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];
const STORE = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
];
const ECS_MANAGE = ['ecs:DescribeTasks', 'ecs:StopTask', 'ecs:ListTasks', 'ecs:DescribeClusters'];
const FILES_READ = ['s3:ListBucket', 's3:GetObject'];
const SIGN = 'secretsmanager:GetSecretValue';
const FILES_WRITE = [...FILES_READ, 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'];
const REFILL = 'lambda:InvokeFunction';

/**
 * Exactly the actions each function's role allows, written out (not derived from the stacks' table): a grant
 * added anywhere shows up here as a failure. Only StartContainer may RunTask; the API may not.
 */
const EXPECTED: Record<BerthEntry, string[]> = {
  // The API functions hold no key list: the authorizer's answer names the tenant.
  // A delete hands its stop to the stop worker's queue.
  // Calls to agents carry tokens signed with the key in Secrets Manager.
  // A claim or a miss asks the refill function for a refill (the RunTask bucket is an item of the table).
  api: [
    ...RUN,
    ...STORE,
    ...FILES_WRITE,
    ...ECS_MANAGE,
    'states:StartExecution',
    'sqs:SendMessage',
    SIGN,
    REFILL,
  ],
  'api-stream': [
    ...RUN,
    ...STORE,
    ...FILES_WRITE,
    ...ECS_MANAGE,
    'states:StartExecution',
    'sqs:SendMessage',
    SIGN,
    REFILL,
  ],
  // The authorizer reads the API keys (SSM parameter of this stage) and nothing else.
  'api-authorizer': [...RUN, 'ssm:GetParameter'],
  // The OpenAPI document is in its code: logs and traces only.
  'api-openapi': [...RUN],
  // Its turn of the RunTask bucket is an item of the table: the store's actions.
  'provision-start-container': [
    ...RUN,
    ...STORE,
    ...ECS_MANAGE,
    'ecs:RunTask',
    'ecs:TagResource',
    'iam:PassRole',
  ],
  'provision-wait-for-endpoint': [...RUN, ...STORE, ...ECS_MANAGE],
  // It hands the task's relay its proxy credential, which it signs.
  'provision-wait-for-healthy': [...RUN, ...STORE, ...ECS_MANAGE, SIGN],
  'provision-await-predecessor': [...RUN, ...STORE],
  'provision-restore-files': [...RUN, ...STORE, ...FILES_READ, SIGN],
  'provision-mark-ready': [...RUN, ...STORE],
  'provision-mark-failed': [...RUN, ...STORE, ...ECS_MANAGE],
  // The sweep hands expired workspaces to the stop worker: it cannot touch the bucket.
  sweep: [...RUN, ...STORE, ...ECS_MANAGE, 'sqs:SendMessage'],
  // The stop worker reads its queue (the event source's grant), saves snapshots, stops tasks.
  'workspace-stop': [
    ...RUN,
    ...STORE,
    ...FILES_WRITE,
    ...ECS_MANAGE,
    SIGN,
    'sqs:ReceiveMessage',
    'sqs:ChangeMessageVisibility',
    'sqs:GetQueueUrl',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
  ],
  // The warm pools' refill starts provisioning executions and stops drained members' tasks; no RunTask.
  'pool-refill': [...RUN, ...STORE, ...ECS_MANAGE, 'states:StartExecution'],
  // Its failed events go to the dead-letter queue (Lambda's on-failure destination).
  'task-state': [
    ...RUN,
    ...STORE,
    ...ECS_MANAGE,
    'sqs:SendMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
  ],
};

/**
 * Actions that may have Resource "*", and why: each has no resource-level permission (Service Authorization
 * Reference), or is scoped by a condition the test checks.
 */
const WILDCARD_RESOURCE_OK: Record<string, string> = {
  // Lambda creates and removes the function's ENIs with the role; the ENI ids are not known in advance.
  'ec2:CreateNetworkInterface': 'VPC function ENIs',
  'ec2:DescribeNetworkInterfaces': 'no resource-level permissions',
  'ec2:DescribeSubnets': 'no resource-level permissions',
  'ec2:DeleteNetworkInterface': 'VPC function ENIs',
  'ec2:AssignPrivateIpAddresses': 'VPC function ENIs',
  'ec2:UnassignPrivateIpAddresses': 'VPC function ENIs',
  'xray:PutTraceSegments': 'no resource-level permissions',
  'xray:PutTelemetryRecords': 'no resource-level permissions',
  'ecs:ListTasks':
    'its resource is a container instance (none on Fargate): scoped by the ecs:cluster condition',
};

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface PolicyResource {
  Properties: { Roles: unknown[]; PolicyDocument: { Statement: Statement[] } };
}
interface RoleResource {
  Properties: { ManagedPolicyArns?: unknown[]; Policies?: { PolicyDocument: { Statement: Statement[] } }[] };
}
interface FunctionResource {
  Properties: { Description?: string; Role: { 'Fn::GetAtt': [string, string] } };
}

const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Each Berth function of the app: its entry, where it is, and every statement its role has. */
function berthFunctions(templates: Template[]) {
  return templates.flatMap((template) => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as PolicyResource[];
    const roles = template.findResources('AWS::IAM::Role') as Record<string, RoleResource>;
    return Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, FunctionResource>)
      .filter(([, fn]) => String(fn.Properties.Description).startsWith('Berth '))
      .map(([id, fn]) => {
        const roleId = fn.Properties.Role['Fn::GetAtt'][0];
        const role = roles[roleId]!;
        const attached = policies.filter((p) =>
          p.Properties.Roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
        );
        return {
          id,
          entry: fn.Properties.Description!.slice('Berth '.length) as BerthEntry,
          managedPolicies: role.Properties.ManagedPolicyArns ?? [],
          statements: [
            ...(role.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement),
            ...attached.flatMap((p) => p.Properties.PolicyDocument.Statement),
          ],
        };
      });
  });
}

describe('IAM: each Berth function may call exactly what its work needs', () => {
  let templates: Template[];
  let functions: ReturnType<typeof berthFunctions>;
  beforeAll(async () => {
    templates = [...(await synthStacks(APP)).values()];
    functions = berthFunctions(templates);
  }, 120_000);

  it('finds a function for every Lambda entry', () => {
    expect([...new Set(functions.map((f) => f.entry))].sort()).toEqual(Object.keys(ENTRY_ACCESS).sort());
  });

  it.each(Object.keys(EXPECTED) as BerthEntry[])('%s: exactly its list of actions', (entry) => {
    for (const fn of functions.filter((f) => f.entry === entry)) {
      expect(fn.managedPolicies, fn.id).toEqual([]);
      const allowed = fn.statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action));
      expect([...new Set(allowed)].sort(), fn.id).toEqual([...EXPECTED[entry]].sort());
    }
  });

  it('only the start step may run a task, on the workspace task definition, in the cluster', () => {
    const runners = functions.filter((f) => f.statements.some((s) => list(s.Action).includes('ecs:RunTask')));
    expect(runners.map((f) => f.entry)).toEqual(['provision-start-container']);
    const statement = (action: string) =>
      runners[0]!.statements.find((s) => list(s.Action).includes(action))!;
    expect(JSON.stringify(statement('ecs:RunTask').Resource)).toMatch(
      /:task-definition\/[^"]*WorkspaceTask[^"]*:\*/,
    );
    expect(statement('ecs:RunTask').Condition).toEqual({ ArnEquals: { 'ecs:cluster': expect.anything() } });
    expect(statement('ecs:TagResource').Condition).toEqual({
      StringEquals: { 'ecs:CreateAction': 'RunTask' },
    });
    expect(JSON.stringify(statement('iam:PassRole').Resource)).toMatch(/ExecutionRole/);
    expect(statement('iam:PassRole').Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
  });

  it('lets the API functions invoke the refill function only, by its name, and nothing else invoke a function', () => {
    const refill = templates
      .flatMap((t) => Object.values(t.findResources('AWS::Lambda::Function')))
      .map((f) => (f as { Properties: { Description?: string; FunctionName?: string } }).Properties)
      .find((p) => p.Description === 'Berth pool-refill')!;
    // `<stage>-<app>-pool-refill`: fixed per stage, so the API's stack (before Events) can name it.
    expect(refill.FunctionName).toMatch(/^test-[\w-]+-pool-refill$/);
    const invokers = functions.filter((f) => f.statements.some((s) => list(s.Action).includes(REFILL)));
    expect(new Set(invokers.map((f) => f.entry))).toEqual(new Set(['api', 'api-stream']));
    for (const fn of invokers) {
      const resources = fn.statements
        .filter((s) => list(s.Action).includes(REFILL))
        .flatMap((s) => list(s.Resource));
      expect(resources, fn.id).toEqual([
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:lambda:us-east-1:123456789012:function:${refill.FunctionName}`,
            ],
          ],
        },
      ]);
    }
  });

  it('keeps task calls to tasks of the workspace cluster', () => {
    for (const fn of functions) {
      for (const s of fn.statements.filter((s) => list(s.Action).some((a) => a.startsWith('ecs:')))) {
        if (!list(s.Action).includes('ecs:DescribeClusters') && !list(s.Action).includes('ecs:TagResource'))
          expect(s.Condition?.ArnEquals?.['ecs:cluster'], `${fn.id} ${String(s.Action)}`).toBeDefined();
      }
    }
  });

  it('has no wildcard action, and a wildcard resource only where the service allows nothing narrower', () => {
    const problems: string[] = [];
    for (const fn of functions) {
      for (const s of fn.statements) {
        const actions = list(s.Action);
        if (s.NotAction || s.NotResource) problems.push(`${fn.id}: NotAction/NotResource`);
        for (const action of actions.filter((a) => a.includes('*')))
          problems.push(`${fn.id}: action ${action}`);
        if (list(s.Resource).includes('*')) {
          for (const action of actions.filter((a) => !(a in WILDCARD_RESOURCE_OK)))
            problems.push(`${fn.id}: ${action} on Resource "*"`);
          if (actions.includes('ecs:ListTasks') && !s.Condition?.ArnEquals?.['ecs:cluster'])
            problems.push(`${fn.id}: ecs:ListTasks without the cluster condition`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("reads the stage's agent-signing-key secret only, by its ARN (`secret:<name>-` and six characters)", () => {
    const readers = functions.filter((f) => f.statements.some((s) => list(s.Action).includes(SIGN)));
    expect(new Set(readers.map((f) => f.entry))).toEqual(
      new Set(
        Object.entries(EXPECTED).flatMap(([entry, actions]) => (actions.includes(SIGN) ? [entry] : [])),
      ),
    );
    for (const fn of readers) {
      const resources = fn.statements
        .filter((s) => list(s.Action).includes(SIGN))
        .flatMap((s) => list(s.Resource));
      expect(resources, fn.id).toEqual([
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:secretsmanager:us-east-1:123456789012:secret:${agentSigningKeySecretName('test')}-??????`,
            ],
          ],
        },
      ]);
    }
  });

  it('gives no function the Anthropic key (only the egress gateway reads it)', () => {
    for (const fn of functions)
      expect(JSON.stringify(fn.statements), fn.id).not.toContain('anthropic-api-key');
  });

  it('attaches no policy to a Berth role from another stack', () => {
    for (const template of templates) {
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as PolicyResource[]) {
        for (const role of policy.Properties.Roles) expect(JSON.stringify(role)).not.toMatch(/ImportValue/);
      }
    }
  });
});
