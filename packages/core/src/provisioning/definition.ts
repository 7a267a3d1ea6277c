/**
 * The provisioning state machine (ASL, JSONPath only: no JSONata, no Assign, so aws-local-stepfunctions
 * runs the very same definition locally). Each Task is a Lambda whose ARN the deploy substitutes for
 * `${<Step>FunctionArn}`; locally each Task state name maps to the same step handler.
 *
 * Provision (one Parallel branch, so that one Catch covers every state, loops included):
 *   [IsClaimed: a claimed warm pool member goes straight to RestoreFiles]
 *   StartContainer → WaitForEndpoint ⇄ EndpointWait → WaitForHealthy ⇄ HealthWait
 *     → [AwaitPredecessor ⇄ PredecessorWait, when the conversation's previous workspace had not ended]
 *     → RestoreFiles → MarkReady
 * Any failure → MarkFailed (workspace failed with the error as reason, task stopped) → Failed.
 *
 * The waits are loops in the machine (Wait → one short check → Choice), not sleeps in a Lambda: a check step
 * looks at once, polls for at most `provisioning.endpointTimeoutMs`/`healthTimeoutMs` (about a second), then
 * answers `ready: false` with its `checks` count; the Choice gives up after a bounded number of checks.
 *
 * Time budget (asserted by core's definition.test.ts): the retry pauses and the loops' nominal length fit in
 * the provisioning deadline (config `provisioning.deadlineMs`, 120 s, which the sweep enforces and each step
 * checks too); the machine's own TimeoutSeconds, which nothing can Catch, is above the worst case of every
 * attempt running to its TimeoutSeconds, MarkFailed included — so an execution always ends through MarkFailed.
 */

/** Task state names (each a Lambda), in order; also the keys of the local handler overrides. */
export const PROVISION_STEPS = [
  'StartContainer',
  'WaitForEndpoint',
  'WaitForHealthy',
  'AwaitPredecessor',
  'RestoreFiles',
  'MarkReady',
] as const;
export type ProvisionStepName = (typeof PROVISION_STEPS)[number] | 'MarkFailed';
/** Every Task state, MarkFailed included. */
export const ALL_PROVISION_STEPS: readonly ProvisionStepName[] = [...PROVISION_STEPS, 'MarkFailed'];

/** Wait states of the two loops (the local runner shortens them). */
export const PROVISION_WAITS = ['EndpointWait', 'HealthWait', 'PredecessorWait'] as const;

/** Placeholder the deploy replaces with the step's Lambda ARN. */
export const functionArnPlaceholder = (step: ProvisionStepName) => `\${${step}FunctionArn}`;

/** How each wait loop is paced and bounded: checks × (wait + one check's poll) is its nominal length. */
export const PROVISION_LOOPS = {
  /** The ENI's private IP comes with RUNNING: image pull included, tens of seconds on Fargate. */
  endpoint: { maxChecks: 16, waitSeconds: 2 },
  /** The agent answers /health a second or so after its container started. */
  health: { maxChecks: 10, waitSeconds: 1 },
  /**
   * The previous workspace's stop saves the files this one restores: up to its stopping deadline (120 s by
   * default; the step goes on by itself once that passed). The check count is only a backstop.
   */
  predecessor: { maxChecks: 45, waitSeconds: 3 },
} as const;

/** A snapshot restore streams gigabytes: it may take as long as a Lambda may run. */
export const RESTORE_STEP_TIMEOUT_SECONDS = 900;

/** Beyond the worst case of every state (definition.test.ts computes it): a backstop that never decides. */
export const PROVISION_MACHINE_TIMEOUT_SECONDS = 11000;

const lambdaTransientRetry = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 2,
  BackoffRate: 2,
};

/** ECS throttling (EcsRuntime names it `Throttled`): exponential backoff with full jitter, capped. */
const throttledRetry = (maxAttempts: number, maxDelaySeconds: number, also: string[] = []) => ({
  ErrorEquals: ['Throttled', ...also],
  IntervalSeconds: 1,
  MaxAttempts: maxAttempts,
  BackoffRate: 2,
  MaxDelaySeconds: maxDelaySeconds,
  JitterStrategy: 'FULL',
});

type Next = { Next: string } | { End: true };

function task(step: ProvisionStepName, next: Next, timeoutSeconds: number, retry: object[] = []) {
  return {
    Type: 'Task',
    Resource: functionArnPlaceholder(step),
    TimeoutSeconds: timeoutSeconds,
    Retry: [...retry, lambdaTransientRetry],
    ...next,
  };
}

/** Check → ready? go on : out of checks? fail with `error` : wait and check again. */
function loop(
  check: 'WaitForEndpoint' | 'WaitForHealthy' | 'AwaitPredecessor',
  choice: string,
  wait: (typeof PROVISION_WAITS)[number],
  giveUp: string,
  error: string,
  bounds: { maxChecks: number; waitSeconds: number },
  then: string,
) {
  return {
    [check]: task(check, { Next: choice }, 10, [throttledRetry(3, 4)]),
    [choice]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.ready', BooleanEquals: true, Next: then },
        { Variable: '$.checks', NumericGreaterThanEquals: bounds.maxChecks, Next: giveUp },
      ],
      Default: wait,
    },
    [wait]: { Type: 'Wait', Seconds: bounds.waitSeconds, Next: check },
    [giveUp]: { Type: 'Fail', Error: error, Cause: `no answer after ${bounds.maxChecks} checks` },
  };
}

export function provisioningDefinition() {
  return {
    Comment: 'Berth: start a workspace container and make it ready',
    StartAt: 'Provision',
    TimeoutSeconds: PROVISION_MACHINE_TIMEOUT_SECONDS,
    States: {
      Provision: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: 'IsClaimed',
            States: {
              // A claimed warm member has its container: it needs only its conversation's files.
              IsClaimed: {
                Type: 'Choice',
                Choices: [{ Variable: '$.claimed', IsPresent: true, Next: 'RestoreFiles' }],
                Default: 'StartContainer',
              },
              // RunTask throttling and "no capacity right now": back off, then give up. RunTask carries the
              // workspace id as clientToken, and the step reuses a recorded task: a retry never starts a second.
              StartContainer: task('StartContainer', { Next: 'WaitForEndpoint' }, 15, [
                throttledRetry(4, 8, ['CapacityUnavailable']),
              ]),
              ...loop(
                'WaitForEndpoint',
                'EndpointKnown',
                'EndpointWait',
                'EndpointNeverCame',
                'EndpointPending',
                PROVISION_LOOPS.endpoint,
                'WaitForHealthy',
              ),
              ...loop(
                'WaitForHealthy',
                'AgentHealthy',
                'HealthWait',
                'AgentNeverHealthy',
                'AgentNotHealthy',
                PROVISION_LOOPS.health,
                'HasPredecessor',
              ),
              // Most starts have none: no extra step for them.
              HasPredecessor: {
                Type: 'Choice',
                Choices: [{ Variable: '$.predecessorId', IsPresent: true, Next: 'AwaitPredecessor' }],
                Default: 'RestoreFiles',
              },
              ...loop(
                'AwaitPredecessor',
                'PredecessorEnded',
                'PredecessorWait',
                'PredecessorNeverEnded',
                'PredecessorStillStopping',
                PROVISION_LOOPS.predecessor,
                'RestoreFiles',
              ),
              RestoreFiles: task('RestoreFiles', { Next: 'MarkReady' }, RESTORE_STEP_TIMEOUT_SECONDS, [
                // A restore that does not match its snapshot's manifest fails as it is: another try restores the same.
                { ErrorEquals: ['RestoreIncomplete'], MaxAttempts: 0 },
                { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 },
              ]),
              MarkReady: task('MarkReady', { End: true }, 30),
            },
          },
        ],
        // One branch: its output is the state.
        OutputPath: '$[0]',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkFailed' }],
        End: true,
      },
      MarkFailed: {
        ...task('MarkFailed', { Next: 'Failed' }, 30),
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
      },
      Failed: { Type: 'Fail', Error: 'ProvisioningFailed', Cause: 'see the workspace terminationReason' },
    },
  };
}

/** The definition with each `${<Step>FunctionArn}` replaced (what CDK's definitionSubstitutions does on deploy). */
export function provisioningDefinitionWith(arnOf: (step: ProvisionStepName) => string) {
  let text = JSON.stringify(provisioningDefinition());
  for (const step of ALL_PROVISION_STEPS) {
    text = text.split(functionArnPlaceholder(step)).join(arnOf(step));
  }
  return JSON.parse(text) as ReturnType<typeof provisioningDefinition>;
}
