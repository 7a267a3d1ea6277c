import {
  missingTask,
  type AgentEndpoint,
  type ContainerRuntime,
  type ContainerSpec,
  type TaskState,
  type TaskStatus,
} from '@berth/core';

export interface FakeTask extends TaskStatus {
  spec: ContainerSpec | null;
}

export type RuntimeCall =
  | { op: 'start'; workspaceId: string }
  | { op: 'stop'; taskRef: string; reason: string }
  | { op: 'describe' | 'pause' | 'resume'; taskRef: string }
  | { op: 'list' | 'ping' };

const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * A ContainerRuntime in memory. Tasks start `running` with an endpoint unless told otherwise; tests move them
 * between states with `setState`, make `start` fail, or hold `start` until they release it.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly kind = 'docker' as const;
  /** False: a runtime like ECS, whose pause and resume refuse (a paused workspace hibernates instead). */
  freezes = true;
  readonly tasks = new Map<string, FakeTask>();
  readonly calls: RuntimeCall[] = [];
  private seq = 0;

  /** What a started task looks like at first. */
  startState: TaskState = 'running';
  /** Whether a started task has its endpoint at once. */
  endpointAtStart = true;
  /** The next `start` calls throw this (then it is cleared). */
  failStart: Error | null = null;
  /** While set, `start` waits for this promise before answering (a slow RunTask). */
  startGate: Promise<void> | null = null;
  pingError: Error | null = null;

  private async enter(call: RuntimeCall) {
    this.calls.push(call);
    await yieldTurn();
  }

  callsOf<K extends RuntimeCall['op']>(op: K): Extract<RuntimeCall, { op: K }>[] {
    return this.calls.filter((c): c is Extract<RuntimeCall, { op: K }> => c.op === op);
  }

  endpointFor(taskRef: string): AgentEndpoint {
    return { kind: 'uds', socketPath: `/tmp/fake/${taskRef}.sock` };
  }

  /** A task that exists in the runtime without going through `start` (orphans, leftovers). */
  addTask(taskRef: string, status: Partial<TaskStatus> = {}): FakeTask {
    const task: FakeTask = {
      taskRef,
      state: 'running',
      endpoint: this.endpointFor(taskRef),
      workspaceId: null,
      stoppedReason: null,
      exitCode: null,
      oomKilled: false,
      stoppedAt: null,
      spec: null,
      ...status,
    };
    this.tasks.set(taskRef, task);
    return task;
  }

  setState(taskRef: string, state: TaskState, extra: Partial<TaskStatus> = {}) {
    const task = this.tasks.get(taskRef);
    if (!task) throw new Error(`no fake task ${taskRef}`);
    Object.assign(task, { state, ...extra });
  }

  async start(spec: ContainerSpec): Promise<{ taskRef: string }> {
    await this.enter({ op: 'start', workspaceId: spec.workspaceId });
    if (this.startGate) await this.startGate;
    if (this.failStart) {
      const e = this.failStart;
      this.failStart = null;
      throw e;
    }
    const taskRef = `task-${++this.seq}`;
    this.tasks.set(taskRef, {
      taskRef,
      state: this.startState,
      endpoint: this.endpointAtStart ? this.endpointFor(taskRef) : null,
      workspaceId: spec.workspaceId,
      stoppedReason: null,
      exitCode: null,
      oomKilled: false,
      stoppedAt: null,
      spec,
    });
    return { taskRef };
  }

  async describe(taskRef: string): Promise<TaskStatus> {
    await this.enter({ op: 'describe', taskRef });
    const task = this.tasks.get(taskRef);
    if (!task) {
      return missingTask(taskRef);
    }
    return strip(task);
  }

  async stop(taskRef: string, reason: string): Promise<void> {
    await this.enter({ op: 'stop', taskRef, reason });
    const task = this.tasks.get(taskRef);
    if (task && task.state !== 'stopped') {
      Object.assign(task, { state: 'stopped', stoppedReason: task.stoppedReason ?? reason, endpoint: null });
    }
  }

  async pause(taskRef: string): Promise<void> {
    await this.enter({ op: 'pause', taskRef });
    if (!this.freezes) throw new Error(`this runtime cannot freeze ${taskRef}`);
    const task = this.tasks.get(taskRef);
    if (!task || task.state !== 'running') throw new Error(`cannot pause ${taskRef}`);
    task.state = 'paused';
  }

  async resume(taskRef: string): Promise<void> {
    await this.enter({ op: 'resume', taskRef });
    if (!this.freezes) throw new Error(`this runtime cannot thaw ${taskRef}`);
    const task = this.tasks.get(taskRef);
    if (!task || task.state !== 'paused') throw new Error(`cannot resume ${taskRef}`);
    task.state = 'running';
  }

  async list(): Promise<TaskStatus[]> {
    await this.enter({ op: 'list' });
    return [...this.tasks.values()].map(strip);
  }

  async ping(): Promise<void> {
    await this.enter({ op: 'ping' });
    if (this.pingError) throw this.pingError;
  }

  /** Tasks that are neither stopped nor missing. */
  running(): string[] {
    return [...this.tasks.values()].filter((t) => t.state !== 'stopped').map((t) => t.taskRef);
  }
}

function strip(task: FakeTask): TaskStatus {
  const { spec: _spec, ...status } = task;
  return structuredClone(status);
}
