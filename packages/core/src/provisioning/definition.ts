/**
 * The provisioning state machine (ASL, JSONPath only: no JSONata, no Assign, so aws-local-stepfunctions
 * runs the very same definition locally). Each Task is a Lambda whose ARN the deploy substitutes for
 * `${<Step>FunctionArn}`; locally each state name maps to the same step handler.
 *
 * StartContainer → WaitForEndpoint → WaitForHealthy → RestoreFiles → MarkReady; any failure → MarkFailed
 * (workspace failed with the error as reason, task stopped) → Failed.
 */

/** State names, in order; also the keys of the local handler overrides. */
export const PROVISION_STEPS = [
  'StartContainer',
  'WaitForEndpoint',
  'WaitForHealthy',
  'RestoreFiles',
  'MarkReady',
] as const;
export type ProvisionStepName = (typeof PROVISION_STEPS)[number] | 'MarkFailed';

/** Placeholder the deploy replaces with the step's Lambda ARN. */
export const functionArnPlaceholder = (step: ProvisionStepName) => `\${${step}FunctionArn}`;

const catchToFailed = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' }];

const lambdaTransientRetry = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
};

/** A snapshot restore streams gigabytes: it may take as long as a Lambda may run. */
export const RESTORE_STEP_TIMEOUT_SECONDS = 900;

function task(step: ProvisionStepName, next: string | null, retry: object[] = [], timeoutSeconds = 120) {
  return {
    Type: 'Task',
    Resource: functionArnPlaceholder(step),
    TimeoutSeconds: timeoutSeconds,
    Retry: [...retry, lambdaTransientRetry],
    Catch: catchToFailed,
    ...(next ? { Next: next } : { End: true }),
  };
}

export function provisioningDefinition() {
  return {
    Comment: 'Berth: start a workspace container and make it ready',
    StartAt: 'StartContainer',
    // Room for the longest restore (RESTORE_STEP_TIMEOUT_SECONDS) after a slow start.
    TimeoutSeconds: 1200,
    States: {
      StartContainer: task('StartContainer', 'WaitForEndpoint', [
        // RunTask throttling and capacity: back off, then give up.
        {
          ErrorEquals: ['Throttled', 'CapacityUnavailable'],
          IntervalSeconds: 2,
          MaxAttempts: 5,
          BackoffRate: 2,
        },
      ]),
      WaitForEndpoint: task('WaitForEndpoint', 'WaitForHealthy', [
        { ErrorEquals: ['EndpointPending'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 },
      ]),
      WaitForHealthy: task('WaitForHealthy', 'RestoreFiles', [
        { ErrorEquals: ['AgentNotHealthy'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 },
      ]),
      RestoreFiles: task(
        'RestoreFiles',
        'MarkReady',
        [
          // A restore that does not match its snapshot's manifest fails as it is: another try restores the same.
          { ErrorEquals: ['RestoreIncomplete'], MaxAttempts: 0 },
          { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 },
        ],
        RESTORE_STEP_TIMEOUT_SECONDS,
      ),
      MarkReady: task('MarkReady', null),
      MarkFailed: {
        Type: 'Task',
        Resource: functionArnPlaceholder('MarkFailed'),
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
        Next: 'Failed',
      },
      Failed: { Type: 'Fail', Error: 'ProvisioningFailed', Cause: 'see the workspace terminationReason' },
    },
  };
}

/** The definition with each `${<Step>FunctionArn}` replaced (what CDK's definitionSubstitutions does on deploy). */
export function provisioningDefinitionWith(arnOf: (step: ProvisionStepName) => string) {
  let text = JSON.stringify(provisioningDefinition());
  for (const step of [...PROVISION_STEPS, 'MarkFailed'] as const) {
    text = text.split(functionArnPlaceholder(step)).join(arnOf(step));
  }
  return JSON.parse(text) as ReturnType<typeof provisioningDefinition>;
}
