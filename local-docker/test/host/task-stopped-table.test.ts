import type { ContainerInspectInfo } from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { ContainerRole, TerminationReason, WorkspaceStatus } from '@berth/core';
import { StaticTenantResolver, createTaskStateHandler, createTaskStoppedHandler } from '@berth/functions';
import { TASK_ARN, stoppedEvent } from '../../../packages/aws/test/ecs/ecs-task-state-events.js';
import { makeDeps, seedWorkspace } from '../../../packages/core/test/support/make-deps.js';
import { lambdaContext } from '../../../packages/functions/test/support/api-event.js';
import { quietObservability } from '../../../packages/functions/test/support/app.js';
import { dockerTaskStopped } from '../../src/runtime/docker-task-stopped.js';
import { statusFromInspect } from '../../src/runtime/task-status.js';

/**
 * One table, two runtimes: each happening as ECS reports it (an EventBridge "ECS Task State Change" read by
 * packages/aws) and as Docker does (inspect state and the events local-docker reads), through the task-state
 * handlers into a live workspace. Both must end it the same way.
 */
const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

interface DockerContainer {
  role: ContainerRole;
  exitCode: number;
  oomKilled?: boolean;
  /** The signal of the Docker API kill (docker stop/kill) before its die; none = it ended on its own. */
  killSignal?: number;
}

interface Case {
  happening: string;
  /** The workspace's state when its task stops. */
  status?: WorkspaceStatus;
  /** `containers[i]` overrides the fixture's i-th container: the workspace's, then the `proxy` sidecar. */
  ecs: { stopCode: string; stoppedReason: string; containers: Record<string, unknown>[] };
  /** null: Docker has no such happening (see below). */
  docker: DockerContainer[] | null;
  expected: { status: WorkspaceStatus; terminationReason: TerminationReason };
}

const CASES: Case[] = [
  {
    happening: 'OOM of the workspace container',
    ecs: {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ exitCode: 137, reason: OOM_REASON }, { exitCode: 143 }],
    },
    docker: [{ role: 'workspace', exitCode: 137, oomKilled: true }],
    expected: { status: 'failed', terminationReason: 'oom' },
  },
  {
    happening: 'OOM of the sidecar',
    ecs: {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ exitCode: 143 }, { exitCode: 137, reason: OOM_REASON }],
    },
    // Locally the proxy runs in the host process; a sidecar container would end like this.
    docker: [
      { role: 'workspace', exitCode: 137, killSignal: 9 },
      { role: 'sidecar', exitCode: 137, oomKilled: true },
    ],
    expected: { status: 'failed', terminationReason: 'task_stopped:sidecar_oom' },
  },
  {
    happening: 'essential container exit (the agent crashed)',
    ecs: {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ exitCode: 1 }, { exitCode: 143 }],
    },
    docker: [{ role: 'workspace', exitCode: 1 }],
    expected: { status: 'failed', terminationReason: 'task_stopped:exited:1' },
  },
  {
    happening: 'user stop (StopTask / docker stop from outside Berth)',
    ecs: {
      stopCode: 'UserInitiated',
      stoppedReason: 'Task stopped by user',
      containers: [{ exitCode: 143 }, { exitCode: 143 }],
    },
    docker: [{ role: 'workspace', exitCode: 143, killSignal: 15 }],
    expected: { status: 'failed', terminationReason: 'task_stopped:stop_requested' },
  },
  {
    happening: "Berth's own stop of a stopping workspace",
    status: 'stopping',
    ecs: {
      stopCode: 'UserInitiated',
      stoppedReason: 'berth: expired',
      containers: [{ exitCode: 143 }, { exitCode: 143 }],
    },
    docker: [{ role: 'workspace', exitCode: 137, killSignal: 9 }],
    expected: { status: 'stopped', terminationReason: 'expired' },
  },
  {
    happening: 'spot interruption',
    ecs: {
      stopCode: 'SpotInterruption',
      stoppedReason: 'Your Spot Task was interrupted.',
      containers: [{ exitCode: 143 }, { exitCode: 143 }],
    },
    // Nothing reclaims a local container's capacity: Docker's events have no such signal (a machine that goes
    // away is the crash-recovery suite's host restart). The rule's side is covered by core's task-state test.
    docker: null,
    expected: { status: 'failed', terminationReason: 'task_stopped:spot_interruption' },
  },
];

function setup(status: WorkspaceStatus = 'ready') {
  const deps = Object.assign(makeDeps(), { tenants: StaticTenantResolver.parse('tenantA:keyAAAAAAAA') });
  const ws = seedWorkspace(deps, {
    status,
    taskRef: TASK_ARN,
    ...(status === 'stopping' && { terminationReason: 'expired', deadlineAt: deps.clock.now() + 60_000 }),
  });
  return { deps, ws };
}

const inspected = (workspaceId: string, c: DockerContainer) =>
  statusFromInspect(
    {
      Id: `${c.role}-container`,
      State: {
        Status: 'exited',
        Paused: false,
        OOMKilled: c.oomKilled ?? false,
        ExitCode: c.exitCode,
        Error: '',
        FinishedAt: '2026-11-26T12:00:00.000Z',
      },
      Config: { Labels: { 'dev.berth.managed': 'true', 'dev.berth.workspace-id': workspaceId } },
    } as unknown as ContainerInspectInfo,
    { stateDir: '/state', labelPrefix: 'dev.berth' },
  );

describe.each(CASES)('$happening', (c) => {
  it(`ECS: ${c.expected.status} with ${c.expected.terminationReason}`, async () => {
    const { deps, ws } = setup(c.status);
    const handler = createTaskStateHandler(() => deps, quietObservability());
    const event = stoppedEvent(c.ecs.containers, {
      stopCode: c.ecs.stopCode,
      stoppedReason: c.ecs.stoppedReason,
      startedBy: ws.id,
    });
    await handler(event, lambdaContext('berth-task-state'));
    expect(deps.store.peek(ws.id)).toMatchObject(c.expected);
  });

  it.skipIf(c.docker === null)(
    `Docker: ${c.expected.status} with ${c.expected.terminationReason}`,
    async () => {
      const { deps, ws } = setup(c.status);
      const handler = createTaskStoppedHandler(() => deps, quietObservability());
      const stopped = dockerTaskStopped(
        TASK_ARN,
        ws.id,
        c.docker!.map((d) => ({
          name: d.role,
          role: d.role,
          status: inspected(ws.id, d),
          oomEvent: d.oomKilled ?? false,
          killSignal: d.killSignal ?? null,
          exitCode: d.exitCode,
        })),
      );
      await handler(stopped, lambdaContext('berth-task-state'));
      expect(deps.store.peek(ws.id)).toMatchObject(c.expected);
    },
  );
});
