import { readdirSync, readFileSync } from 'node:fs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Template } from 'aws-cdk-lib/assertions';
import type { StackContext } from 'sst/constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Wiring } from '../../packages/functions/src/lambda/lambda-deps.js';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import { berthFunction, ENTRY_ACCESS, type BerthEntry } from '../lambda-function.js';
import { apiKeysParameterName } from '../operator-secrets.js';
import { Network } from '../Network.js';
import { Workspaces } from '../Workspaces.js';
import { loadBerthConfig } from '../../packages/core/src/config.js';
import { synthStacks, withBerthEnv } from './synth.js';

const LAMBDA_DIR = new URL('../../packages/functions/src/lambda/', import.meta.url);
const ENTRIES = Object.keys(ENTRY_ACCESS) as BerthEntry[];

/**
 * An entry's `wiring`. Importing an entry builds its handler; a streaming one needs the Lambda runtime's
 * `awslambda.streamifyResponse` (a stand-in here, removed again).
 */
async function wiringOf(entry: string): Promise<Wiring> {
  const g = globalThis as { awslambda?: { streamifyResponse?: (h: unknown) => unknown } };
  const hadRuntime = g.awslambda !== undefined;
  const runtime = (g.awslambda ??= {});
  const stubbed = runtime.streamifyResponse === undefined;
  if (stubbed) runtime.streamifyResponse = (handler) => handler;
  try {
    return ((await import(`../../packages/functions/src/lambda/${entry}.ts`)) as { wiring: Wiring }).wiring;
  } finally {
    if (!hadRuntime) delete g.awslambda;
    else if (stubbed) delete runtime.streamifyResponse;
  }
}

/** The variables the ports read (the names each `missing` reports for an empty environment), once each. */
const variablesOf = (wiring: Wiring) => [
  ...new Set(
    Object.values(wiring).flatMap((port) => port.missing({}).map((message) => message.split(' ')[0]!)),
  ),
];

/** Every Berth entry in one stack, as the stacks will make them (a stand-in machine for the API's). */
function AllFunctions({ stack }: StackContext) {
  const stateMachine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
  });
  const stopQueue = new sqs.Queue(stack, 'Stops');
  for (const entry of ENTRIES) berthFunction(stack, fnId(entry), entry, { stateMachine, stopQueue });
}
const fnId = (entry: string) => entry.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());

interface LambdaResource {
  Properties: {
    Description: string;
    Runtime: string;
    Architectures: string[];
    TracingConfig: { Mode: string };
    Environment: { Variables: Record<string, unknown> };
    VpcConfig: { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
    LoggingConfig: { LogGroup: unknown };
  };
}

describe('berthFunction', () => {
  let template: Template;
  let functions: Map<BerthEntry, LambdaResource['Properties']>;
  beforeAll(async () => {
    template = (await synthStacks([Data, Network, EgressGateway, Workspaces, AllFunctions])).get(
      AllFunctions,
    )!;
    const found = Object.values(template.findResources('AWS::Lambda::Function')) as LambdaResource[];
    functions = new Map(
      found
        .filter((f) => String(f.Properties.Description).startsWith('Berth '))
        .map((f) => [f.Properties.Description.slice('Berth '.length) as BerthEntry, f.Properties]),
    );
  }, 120_000);

  it('has a row for every Lambda entry of packages/functions (a file exporting `handler`)', () => {
    const entries = readdirSync(LAMBDA_DIR)
      .filter((file) => file.endsWith('.ts'))
      .filter((file) => /^export const handler\b/m.test(readFileSync(new URL(file, LAMBDA_DIR), 'utf8')))
      .map((file) => file.slice(0, -'.ts'.length));
    expect(ENTRIES.toSorted()).toEqual(entries.toSorted());
  });

  it.each(ENTRIES)("%s: the table's ports are exactly the entry's `wiring`", async (entry) => {
    expect(Object.keys(ENTRY_ACCESS[entry]).sort()).toEqual(Object.keys(await wiringOf(entry)).sort());
  });

  it.each(ENTRIES)('%s: sets exactly the variables its ports read, and they satisfy them', async (entry) => {
    const wiring = await wiringOf(entry);
    const variables = functions.get(entry)!.Environment.Variables;
    // BERTH_CONFIG is every function's (the warm pools), not a port's: its own test is below.
    const berthVariables = Object.keys(variables).filter(
      (name) =>
        !name.startsWith('SST_') && name !== 'AWS_NODEJS_CONNECTION_REUSE_ENABLED' && name !== 'BERTH_CONFIG',
    );
    expect(berthVariables.sort()).toEqual(variablesOf(wiring).sort());
    // A token at synth is a value at deploy time: a placeholder stands for it.
    const env = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : 'deploy-time']),
    );
    for (const port of Object.values(wiring)) expect(port.missing(env)).toEqual([]);
  });

  it('names the API keys parameter of the stage', () => {
    expect(functions.get('api-authorizer')!.Environment.Variables.API_KEYS_PARAMETER).toBe(
      apiKeysParameterName('test'),
    );
    expect(functions.get('api')!.Environment.Variables.API_KEYS_PARAMETER).toBeUndefined();
  });

  it.each(ENTRIES)('%s: nodejs22.x on arm64, traced, in the functions subnets and group', (entry) => {
    const fn = functions.get(entry)!;
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    expect(JSON.stringify(fn.VpcConfig.SubnetIds)).toMatch(/functionsSubnet1.*functionsSubnet2/);
    expect(JSON.stringify(fn.VpcConfig.SecurityGroupIds)).toMatch(/FunctionsSecurityGroup/);
    expect(fn.LoggingConfig.LogGroup).toEqual({ Ref: expect.stringMatching(/Logs/) });
  });

  it('logs to groups with the retention of the settings', () => {
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, ENTRIES.length);
  });

  it('refuses an entry that wires the provisioner without the state machine', async () => {
    function NoMachine({ stack }: StackContext) {
      berthFunction(stack, 'Api', 'api');
    }
    await expect(synthStacks([Data, Network, EgressGateway, Workspaces, NoMachine])).rejects.toThrow(
      /props.stateMachine/,
    );
  });
});

describe('berthFunction: warm pools and the RunTask bucket from the settings', () => {
  const variablesOf = async (vars: Record<string, string>) => {
    const template = await withBerthEnv(
      vars,
      async () =>
        (await synthStacks([Data, Network, EgressGateway, Workspaces, AllFunctions])).get(AllFunctions)!,
    );
    return new Map(
      (Object.values(template.findResources('AWS::Lambda::Function')) as LambdaResource[])
        .filter((f) => String(f.Properties.Description).startsWith('Berth '))
        .map((f) => [
          f.Properties.Description.slice('Berth '.length) as BerthEntry,
          f.Properties.Environment.Variables,
        ]),
    );
  };

  it('gives every function the pools of BERTH_POOL_TARGETS in BERTH_CONFIG, and the bucket its rate and burst', async () => {
    const functions = await variablesOf({
      BERTH_POOL_TARGETS: 'default:2-20,gpu:1',
      BERTH_RUNTASK_RATE: '12',
      BERTH_RUNTASK_BURST: '30',
    });
    expect(functions.size).toBe(ENTRIES.length);
    for (const [entry, variables] of functions) {
      const config = loadBerthConfig(JSON.parse(String(variables.BERTH_CONFIG)));
      expect(config.templates.default!.pool, entry).toEqual({ min: 2, max: 20 });
      expect(config.templates.gpu!.pool, entry).toEqual({ min: 1, max: 1 });
    }
    for (const entry of ['api', 'api-stream', 'provision-start-container'] as const) {
      expect(functions.get(entry)).toMatchObject({ BERTH_RUNTASK_RATE: '12', BERTH_RUNTASK_BURST: '30' });
    }
  }, 120_000);

  it('sets no BERTH_CONFIG without pools, and the bucket its defaults (5/s, 10 at once)', async () => {
    const functions = await variablesOf({});
    for (const [entry, variables] of functions) expect(variables.BERTH_CONFIG, entry).toBeUndefined();
    expect(functions.get('provision-start-container')).toMatchObject({
      BERTH_RUNTASK_RATE: '5',
      BERTH_RUNTASK_BURST: '10',
    });
  }, 120_000);
});

describe('berthFunction: where workspace tasks run', () => {
  const capacityOf = async (capacity?: string) => {
    const saved = process.env.BERTH_CAPACITY;
    if (capacity) process.env.BERTH_CAPACITY = capacity;
    else delete process.env.BERTH_CAPACITY;
    try {
      const template = (await synthStacks([Data, Network, EgressGateway, Workspaces, AllFunctions])).get(
        AllFunctions,
      )!;
      const start = Object.values(template.findResources('AWS::Lambda::Function')).find(
        (f) => (f as LambdaResource).Properties.Description === 'Berth provision-start-container',
      ) as LambdaResource;
      return start.Properties.Environment.Variables.WORKSPACE_CAPACITY;
    } finally {
      if (saved === undefined) delete process.env.BERTH_CAPACITY;
      else process.env.BERTH_CAPACITY = saved;
    }
  };

  it('tells EcsRuntime FARGATE by default, and the EC2 capacity provider with BERTH_CAPACITY=ec2', async () => {
    expect(await capacityOf()).toBe('FARGATE');
    expect(JSON.stringify(await capacityOf('ec2'))).toMatch(/Fn::ImportValue.*Workspaces/);
  }, 120_000);
});
