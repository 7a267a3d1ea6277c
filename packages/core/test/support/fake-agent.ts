import { Readable } from 'node:stream';
import {
  AgentError,
  type AgentActivity,
  type AgentClient,
  type AgentEndpoint,
  type AgentStream,
  type AgentTarget,
  type BinaryExecResult,
  type ExecRequest,
  type ExecResult,
  type ExecuteRequest,
  type FileRead,
} from '@berth/core';

const key = (e: AgentEndpoint) => (e.kind === 'uds' ? e.socketPath : `${e.host}:${e.port}`);

export type AgentCall = {
  op: string;
  endpoint: string;
  token: string | null;
  path?: string;
  req?: ExecRequest;
  executeReq?: ExecuteRequest;
};

/**
 * An AgentClient with scripted answers. Files live in memory per endpoint, so archiveOut/archiveIn (the file
 * sync) carry them from one workspace to its successor. `unreachable` makes every call fail as a dead socket.
 */
export class FakeAgent implements AgentClient {
  readonly calls: AgentCall[] = [];
  readonly files = new Map<string, Map<string, Buffer>>();
  /** Every call fails with AgentError('unreachable') while true. */
  unreachable = false;
  /** What /health answers; a function is asked per call (e.g. unhealthy for the first few). */
  healthy: boolean | ((endpoint: AgentEndpoint) => boolean) = true;
  /** The answer of `exec`; default: echo of argv on stdout, exit 0. */
  onExec: (req: ExecRequest) => ExecResult | Promise<ExecResult> = (req) => ({
    exitCode: 0,
    signal: null,
    stdout: `${req.cmd.join(' ')}\n`,
    stderr: '',
    durationMs: 3,
    timedOut: false,
    truncated: false,
  });

  /**
   * The SSE body of `execute`, chunk by chunk (any iterable: a generator may wait between chunks); default: one
   * `message` and a `result` event. Throwing (an AgentError) refuses the run before any SSE, as a 400 does.
   */
  onExecute: (req: ExecuteRequest) => Iterable<string | Buffer> | AsyncIterable<string | Buffer> = (req) => [
    `event: message\ndata: ${JSON.stringify({ type: 'assistant', text: req.prompt })}\n\n`,
    `event: result\ndata: ${JSON.stringify({ subtype: 'success', session_id: 's1', num_turns: 1 })}\n\n`,
  ];
  /** The body of the last `execute` stream (to see it destroyed when the client goes away). */
  lastExecuteBody: Readable | undefined;
  /** Awaited at the start of every `archiveOut` (a file sync): lets a test hold a sync in flight. */
  beforeArchiveOut: () => Promise<void> = async () => {};

  private record(op: string, target: AgentTarget | AgentEndpoint, extra: Partial<AgentCall> = {}) {
    const endpoint = 'endpoint' in target ? target.endpoint : target;
    const token = 'endpoint' in target ? target.token : null;
    this.calls.push({ op, endpoint: key(endpoint), token, ...extra });
    if (this.unreachable) throw new AgentError(502, 'unreachable', `connect ENOENT ${key(endpoint)}`);
  }

  callsOf(op: string) {
    return this.calls.filter((c) => c.op === op);
  }

  filesOf(endpoint: AgentEndpoint): Map<string, Buffer> {
    let m = this.files.get(key(endpoint));
    if (!m) this.files.set(key(endpoint), (m = new Map()));
    return m;
  }

  /** What /health reports as running commands. */
  runningCommands = 0;

  async activity(endpoint: AgentEndpoint): Promise<AgentActivity> {
    this.calls.push({ op: 'activity', endpoint: key(endpoint), token: null });
    if (this.unreachable) throw new AgentError(0, 'unreachable', 'agent unreachable: connect ENOENT');
    return { runningCommands: this.runningCommands };
  }

  async health(endpoint: AgentEndpoint): Promise<boolean> {
    this.calls.push({ op: 'health', endpoint: key(endpoint), token: null });
    if (this.unreachable) return false;
    return typeof this.healthy === 'function' ? this.healthy(endpoint) : this.healthy;
  }

  async exec(target: AgentTarget, req: ExecRequest): Promise<ExecResult> {
    this.record('exec', target, { req });
    return this.onExec(req);
  }

  async execStream(target: AgentTarget, req: ExecRequest): Promise<AgentStream> {
    this.record('execStream', target, { req });
    const r = await this.onExec(req);
    const events = [
      ...(r.stdout ? [`event: stdout\ndata: ${r.stdout.replace(/\n$/, '')}\n\n`] : []),
      ...(r.stderr ? [`event: stderr\ndata: ${r.stderr.replace(/\n$/, '')}\n\n`] : []),
      `event: exit\ndata: ${JSON.stringify({ exitCode: r.exitCode, durationMs: r.durationMs, timedOut: r.timedOut })}\n\n`,
    ];
    return {
      status: 200,
      contentType: 'text/event-stream',
      body: Readable.from(events.map((e) => Buffer.from(e))),
    };
  }

  async execute(target: AgentTarget, req: ExecuteRequest): Promise<AgentStream> {
    this.record('execute', target, { executeReq: req });
    const body = Readable.from(this.onExecute(req), { objectMode: false });
    this.lastExecuteBody = body;
    return { status: 200, contentType: 'text/event-stream', body };
  }

  async execBinary(target: AgentTarget, req: ExecRequest): Promise<BinaryExecResult> {
    this.record('execBinary', target, { req });
    const r = await this.onExec(req);
    return {
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
      stdout: Buffer.from(r.stdout, 'latin1'),
    };
  }

  async readFile(target: AgentTarget, path: string): Promise<FileRead> {
    this.record('readFile', target, { path });
    const files = this.filesOf(target.endpoint);
    const body = files.get(path);
    if (body) return { kind: 'file', body };
    const prefix = path === '.' ? '' : `${path}/`;
    const names = [...files.keys()].filter((p) => p.startsWith(prefix));
    if (names.length === 0) throw new AgentError(404, 'not_found', `${path} not found`);
    return {
      kind: 'dir',
      entries: names.map((p) => ({
        name: p.slice(prefix.length),
        type: 'file' as const,
        size: files.get(p)!.length,
        mtime: new Date(0).toISOString(),
      })),
    };
  }

  async writeFile(target: AgentTarget, path: string, body: Buffer): Promise<void> {
    this.record('writeFile', target, { path });
    this.filesOf(target.endpoint).set(path, Buffer.from(body));
  }

  async deleteFile(target: AgentTarget, path: string): Promise<void> {
    this.record('deleteFile', target, { path });
    this.filesOf(target.endpoint).delete(path);
  }

  /** Not a real tar: the JSON of the file map, which archiveIn understands. */
  async archiveOut(target: AgentTarget, path: string): Promise<Buffer> {
    this.record('archiveOut', target, { path });
    await this.beforeArchiveOut();
    const files = Object.fromEntries(
      [...this.filesOf(target.endpoint)].map(([p, b]) => [p, b.toString('base64')]),
    );
    return Buffer.from(JSON.stringify(files));
  }

  async archiveIn(target: AgentTarget, path: string, tar: Buffer): Promise<void> {
    this.record('archiveIn', target, { path });
    const files = JSON.parse(tar.toString('utf8')) as Record<string, string>;
    const m = this.filesOf(target.endpoint);
    for (const [p, b] of Object.entries(files)) m.set(p, Buffer.from(b, 'base64'));
  }
}
