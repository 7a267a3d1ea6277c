import type { Failure } from '@aws-sdk/client-ecs';

/**
 * Errors of a RunTask, named for the provisioning state machine: its StartContainer Retry matches
 * `Throttled` and `CapacityUnavailable` by name (core/provisioning/definition.ts); anything else goes
 * straight to MarkFailed.
 */
export class RunTaskError extends Error {
  constructor(
    name: 'CapacityUnavailable' | 'Throttled' | 'RunTaskFailed' | 'RunTaskRejected',
    message: string,
    readonly failures: Failure[] = [],
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * Placement failures come back as `failures[]` in a 200 answer, not as an exception. These reasons mean
 * "no room right now" (ENIs, CPU, memory, Fargate capacity, no agent): worth retrying after a backoff.
 */
const CAPACITY_REASON = /^RESOURCE:|^AGENT$|capacity/i;

const describeFailure = (f: Failure) =>
  [f.reason ?? 'unknown', f.detail, f.arn].filter((s): s is string => Boolean(s)).join(' ');

/** The error for a RunTask answer that placed no task. */
export function failuresError(failures: Failure[], taskDefinition: string): RunTaskError {
  const what = failures.length > 0 ? failures.map(describeFailure).join('; ') : 'no task and no failure';
  const capacity = failures.some((f) => CAPACITY_REASON.test(f.reason ?? ''));
  return new RunTaskError(
    capacity ? 'CapacityUnavailable' : 'RunTaskFailed',
    `RunTask placed no task for ${taskDefinition}: ${what}`,
    failures,
  );
}

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded']);

/** ECS said "slow down" (ECS models no throttling shape: a service exception by name, or a 429). */
const isThrottling = (err: Error) =>
  THROTTLING.has(err.name) ||
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 429;

/** A throttled ECS call as `Throttled` (the name the state machine retries with backoff); else undefined. */
export function throttledError(err: unknown, what: string): RunTaskError | undefined {
  if (!(err instanceof Error) || !isThrottling(err)) return undefined;
  return new RunTaskError('Throttled', `${what} throttled: ${err.message}`);
}

/** An exception from RunTask, renamed so the state machine can tell retryable from final. */
export function runTaskException(err: unknown, taskDefinition: string): Error {
  if (!(err instanceof Error)) return new RunTaskError('RunTaskFailed', `RunTask failed: ${String(err)}`);
  const throttled = throttledError(err, `RunTask for ${taskDefinition}`);
  if (throttled) return throttled;
  if (err.name === 'InvalidParameterException' || err.name === 'ClientException') {
    // Typically an unknown task definition ("TaskDefinition not found."): name it, retrying will not help.
    return new RunTaskError('RunTaskRejected', `RunTask rejected for ${taskDefinition}: ${err.message}`);
  }
  return err;
}
