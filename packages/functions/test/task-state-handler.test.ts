import { describe, expect, it } from 'vitest';
import { StaticTenantResolver, createTaskStateHandler } from '@berth/functions';
import { TASK_ARN, ecsEvent, stoppedEvent } from '../../aws/test/ecs/ecs-task-state-events.js';
import { makeDeps, seedWorkspace } from '../../core/test/support/make-deps.js';
import { lambdaContext } from './support/api-event.js';
import { quietObservability } from './support/app.js';

describe('task-state handler', () => {
  function setup() {
    const deps = Object.assign(makeDeps(), { tenants: StaticTenantResolver.parse('tenantA:keyAAAAAAAA') });
    const handler = createTaskStateHandler(() => deps, quietObservability());
    return { deps, handler };
  }

  it('an OOM stop of a ready workspace fails it with oom and frees the conversation', async () => {
    const { deps, handler } = setup();
    const ws = seedWorkspace(deps, { taskRef: TASK_ARN });
    deps.runtime.addTask(TASK_ARN, { workspaceId: ws.id });
    const ev = stoppedEvent(
      [{ exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }, {}],
      {
        startedBy: ws.id,
      },
    );
    await handler(ev, lambdaContext('berth-task-state'));
    expect(deps.store.peek(ws.id)).toMatchObject({ status: 'failed', terminationReason: 'oom' });
    expect(deps.store.bindings.size).toBe(0);
  });

  it('a RUNNING event changes nothing', async () => {
    const { deps, handler } = setup();
    const ws = seedWorkspace(deps, { taskRef: TASK_ARN });
    await handler(ecsEvent({ startedBy: ws.id }), lambdaContext('berth-task-state'));
    expect(deps.store.peek(ws.id)).toEqual(ws);
  });
});
