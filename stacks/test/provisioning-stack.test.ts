import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_PROVISION_STEPS,
  provisioningDefinition,
} from '../../packages/core/src/provisioning/definition.js';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import { Network } from '../Network.js';
import { FUNCTION_TIMEOUT_MARGIN_SECONDS, Provisioning, taskTimeouts } from '../Provisioning.js';
import { Workspaces } from '../Workspaces.js';
import { nag } from './nag.js';
import { synthStacks } from './synth.js';

let t: Template;
beforeAll(async () => {
  t = (await synthStacks([Data, Network, EgressGateway, Workspaces, Provisioning])).get(Provisioning)!;
}, 120_000);

describe('Provisioning stack', () => {
  it("is a STANDARD machine running core's definition, each step ARN substituted, logged and traced", () => {
    const machines = t.findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(1);
    const props = Object.values(machines)[0]!.Properties;
    expect(props.StateMachineType).toBe('STANDARD');
    expect(JSON.parse(props.DefinitionString as string)).toEqual(provisioningDefinition());
    expect(Object.keys(props.DefinitionSubstitutions).sort()).toEqual(
      ALL_PROVISION_STEPS.map((s) => `${s}FunctionArn`).sort(),
    );
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
  });

  it('makes one function per step, each ending before its Task state gives up on it', () => {
    const fns = Object.values(t.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Runtime === 'nodejs22.x' && f.Properties.Architectures?.[0] === 'arm64',
    );
    expect(fns.length).toBeGreaterThanOrEqual(ALL_PROVISION_STEPS.length);
    const timeouts = taskTimeouts();
    const fnTimeouts = fns.map((f) => f.Properties.Timeout as number);
    for (const step of ALL_PROVISION_STEPS) {
      expect(fnTimeouts, step).toContain(timeouts[step] - FUNCTION_TIMEOUT_MARGIN_SECONDS);
    }
    expect(Math.max(...fnTimeouts)).toBeLessThanOrEqual(900);
  });

  it("lets the machine's role invoke its step functions only", () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('ProvisioningRole'),
    );
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const invoke = statements.filter((s) => JSON.stringify(s.Action).includes('lambda:'));
    expect(invoke).toHaveLength(1);
    expect(invoke[0]!.Action).toBe('lambda:InvokeFunction');
    expect(invoke[0]!.Resource).toHaveLength(ALL_PROVISION_STEPS.length);
    expect(JSON.stringify(invoke[0]!.Resource)).not.toContain('*');
  });

  it('passes cdk-nag AwsSolutions with no unsuppressed error', async () => {
    const report = await nag([Data, Network, EgressGateway, Workspaces, Provisioning]);
    expect(report.errors).toEqual([]);
    for (const s of report.suppressions) expect(s.reason.length).toBeGreaterThan(20);
  }, 120_000);
});
