import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { NagSuppressions } from 'cdk-nag';
import type { StackContext } from 'sst/constructs';
import {
  ALL_PROVISION_STEPS,
  provisioningDefinition,
  type ProvisionStepName,
} from '../packages/core/src/provisioning/definition.js';
import { berthFunction, type BerthEntry } from './lambda-function.js';
import { suppressSstInternals } from './nag-suppressions.js';

/** The Lambda entry (packages/functions/src/lambda/) that runs each Task state. */
export const STEP_ENTRIES: Record<ProvisionStepName, BerthEntry> = {
  StartContainer: 'provision-start-container',
  WaitForEndpoint: 'provision-wait-for-endpoint',
  WaitForHealthy: 'provision-wait-for-healthy',
  AwaitPredecessor: 'provision-await-predecessor',
  RestoreFiles: 'provision-restore-files',
  MarkReady: 'provision-mark-ready',
  MarkFailed: 'provision-mark-failed',
};

/** A Lambda ends (with an error the machine sees) a little before its Task state would give up on it. */
export const FUNCTION_TIMEOUT_MARGIN_SECONDS = 2;

/** Each Task state's TimeoutSeconds, read from core's definition (inside the Provision branch or top level). */
export function taskTimeouts(): Record<ProvisionStepName, number> {
  const def = provisioningDefinition();
  const states = {
    ...def.States.Provision.Branches[0]!.States,
    MarkFailed: def.States.MarkFailed,
  } as Record<string, { TimeoutSeconds?: number }>;
  return Object.fromEntries(ALL_PROVISION_STEPS.map((s) => [s, states[s]!.TimeoutSeconds!])) as Record<
    ProvisionStepName,
    number
  >;
}

/**
 * The provisioning state machine: core's definition as is (STANDARD: the workspace id as execution name makes
 * StartExecution idempotent), each `${<Step>FunctionArn}` replaced by its step function. The machine's role
 * may invoke only those functions; executions are logged and traced.
 */
export function Provisioning({ stack }: StackContext) {
  suppressSstInternals(stack);
  const timeouts = taskTimeouts();
  const functions = Object.fromEntries(
    ALL_PROVISION_STEPS.map((step) => [
      step,
      berthFunction(stack, `Provision${step}`, STEP_ENTRIES[step], {
        timeout: timeouts[step] - FUNCTION_TIMEOUT_MARGIN_SECONDS,
      }),
    ]),
  ) as Record<ProvisionStepName, ReturnType<typeof berthFunction>>;

  const logGroup = new logs.LogGroup(stack, 'ProvisioningLogs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(stack, 'ProvisioningRole', {
    assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
    description: 'Berth provisioning state machine: invokes its step functions only',
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'InvokeSteps',
      actions: ['lambda:InvokeFunction'],
      resources: ALL_PROVISION_STEPS.map((s) => functions[s].functionArn),
    }),
  );

  const stateMachine = new sfn.StateMachine(stack, 'ProvisioningMachine', {
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(provisioningDefinition())),
    definitionSubstitutions: Object.fromEntries(
      ALL_PROVISION_STEPS.map((s) => [`${s}FunctionArn`, functions[s].functionArn]),
    ),
    role,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });

  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        appliesTo: ['Resource::*'],
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery & co.) and X-Ray (xray:PutTraceSegments & co.) accept no resource but *: AWS documents these statements so',
      },
    ],
    true,
  );

  return { stateMachine, functions };
}
