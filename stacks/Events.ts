import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { use, type StackContext } from 'sst/constructs';
import { berthFunction } from './lambda-function.js';
import { suppressSstInternals } from './nag-suppressions.js';
import { deadLetterQueue } from './Observability.js';
import { Provisioning } from './Provisioning.js';
import { berthSettings } from './settings.js';
import { Stopping } from './Stopping.js';
import { Workspaces } from './Workspaces.js';

/** How long a task-state event is worth delivering: past this, the sweep has settled the workspace anyway. */
export const TASK_STATE_MAX_EVENT_AGE = Duration.hours(1);
/** Delivery attempts of a task-state event (EventBridge → Lambda), and the function's own retries of it. */
export const TASK_STATE_RETRY_ATTEMPTS = 8;
export const TASK_STATE_FUNCTION_RETRIES = 2;
/**
 * How often the warm pools are refilled at the latest (core config `pool.refillIntervalSeconds`, 60 by
 * default, sizes the pools for it); claims and misses ask for a refill in between.
 */
export const POOL_REFILL_INTERVAL = Duration.minutes(1);

/**
 * What happens without a request: a stopped workspace task ends its workspace (the task-state function, fed
 * by EventBridge's ECS events of this cluster), the sweep runs on a schedule (expiry, stuck states, orphan
 * tasks), and so does the warm pools' refill when BERTH_POOL_TARGETS sets pools. An event that cannot be handled after its retries lands in the dead-letter queue, which
 * Observability alarms on.
 */
export function Events({ stack }: StackContext) {
  suppressSstInternals(stack);
  const { cluster } = use(Workspaces);
  const settings = berthSettings();

  const deadLetters = deadLetterQueue(stack, 'EventDeadLetters', 'the event targets');

  const taskState = berthFunction(stack, 'TaskState', 'task-state');
  // The function's own retries (an error thrown by the handler) end in the same queue as failed deliveries.
  taskState.configureAsyncInvoke({
    retryAttempts: TASK_STATE_FUNCTION_RETRIES,
    maxEventAge: TASK_STATE_MAX_EVENT_AGE,
    onFailure: new destinations.SqsDestination(deadLetters),
  });
  const taskStateRule = new events.Rule(stack, 'TaskStopped', {
    description: 'Berth: a workspace task of this cluster stopped',
    eventPattern: {
      source: ['aws.ecs'],
      detailType: ['ECS Task State Change'],
      // The handler acts on STOPPED only (parseEcsTaskStateChange): the other transitions are not sent.
      detail: { clusterArn: [cluster.clusterArn], lastStatus: ['STOPPED'] },
    },
  });
  taskStateRule.addTarget(
    new targets.LambdaFunction(taskState, {
      deadLetterQueue: deadLetters,
      maxEventAge: TASK_STATE_MAX_EVENT_AGE,
      retryAttempts: TASK_STATE_RETRY_ATTEMPTS,
    }),
  );

  // Expired workspaces are handed to the stop worker (their files are saved there): a run is store and ECS
  // calls only.
  const sweep = berthFunction(stack, 'Sweep', 'sweep', { timeout: 120, stopQueue: use(Stopping).queue });
  // A failed run is repeated by the next one: no retries that would overlap it.
  sweep.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(settings.sweepMinutes) });
  const sweepSchedule = new events.Rule(stack, 'SweepSchedule', {
    description: 'Berth: sweep expired, stuck and orphaned workspaces',
    schedule: events.Schedule.rate(Duration.minutes(settings.sweepMinutes)),
  });
  sweepSchedule.addTarget(
    new targets.LambdaFunction(sweep, {
      deadLetterQueue: deadLetters,
      maxEventAge: Duration.minutes(settings.sweepMinutes),
      retryAttempts: 2,
    }),
  );

  // The warm pools' refill. The function is there without pools too: the API functions invoke it by name
  // (only after a claim or a miss of a pooled template, so never without pools).
  const poolRefill = berthFunction(stack, 'PoolRefill', 'pool-refill', {
    timeout: 120,
    // One refill at a time: concurrent ones would each start members before seeing the others' (a burst of
    // claims asks for many); further requests wait in the async queue and find the pool refilled.
    reservedConcurrentExecutions: 1,
    stateMachine: use(Provisioning).stateMachine,
  });
  // A failed or stale refill is repeated by the next request or run: no retries that would overlap it.
  poolRefill.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: POOL_REFILL_INTERVAL });
  let poolRefillSchedule: events.Rule | undefined;
  if (Object.keys(settings.pools).length > 0) {
    poolRefillSchedule = new events.Rule(stack, 'PoolRefillSchedule', {
      description: 'Berth: refill the warm pools (BERTH_POOL_TARGETS)',
      schedule: events.Schedule.rate(POOL_REFILL_INTERVAL),
    });
    poolRefillSchedule.addTarget(
      new targets.LambdaFunction(poolRefill, {
        deadLetterQueue: deadLetters,
        maxEventAge: POOL_REFILL_INTERVAL,
        retryAttempts: 2,
      }),
    );
  }

  return { taskState, sweep, poolRefill, deadLetters, taskStateRule, sweepSchedule, poolRefillSchedule };
}
