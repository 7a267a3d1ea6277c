import { Readable } from 'node:stream';
import { type Manifest } from '@berth/protocol';
import { ManifestBuilder } from '@berth/protocol/snapshot-stream';
import {
  WorkspaceAgentError,
  type WorkspaceAgentClient,
  type AgentEndpoint,
  type WorkspaceAgentStream,
  type WorkspaceAgentTarget,
  type BinaryCommandStream,
  type AgentCommandRequest,
  type CommandResult,
  type AgentRunRequest,
  type FileRead,
} from '@berth/core';
import { filesOfTar, readStream, tarOf } from './tar-files.js';

const key = (e: AgentEndpoint) => (e.kind === 'uds' ? e.socketPath : `${e.host}:${e.port}`);

export type AgentCall = {
  op: string;
  endpoint: string;
  token: string | null;
  path?: string;
  req?: AgentCommandRequest;
  agentRunReq?: AgentRunRequest;
};

/**
 * An WorkspaceAgentClient with scripted answers. Files live in memory per endpoint, so archiveOut/archiveIn (the file
 * sync) carry them from one workspace to its successor. `unreachable` makes every call fail as a dead socket.
 */
export class FakeWorkspaceAgent implements WorkspaceAgentClient {
  readonly calls: AgentCall[] = [];
  readonly files = new Map<string, Map<string, Buffer>>();
  /** Every call fails with WorkspaceAgentError('unreachable') while true. */
  unreachable = false;
  /** What /health answers; a function is asked per call (e.g. unhealthy for the first few). */
  healthy: boolean | ((endpoint: AgentEndpoint) => boolean) = true;
  /** The answer of `exec`; default: echo of argv on stdout, exit 0. */
  onCommand: (req: AgentCommandRequest) => CommandResult | Promise<CommandResult> = (req) => ({
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
   * `message` and a `result` event. Throwing (an WorkspaceAgentError) refuses the run before any SSE, as a 400 does.
   */
  onAgentRun: (req: AgentRunRequest) => Iterable<string | Buffer> | AsyncIterable<string | Buffer> = (
    req,
  ) => [
    `event: message\ndata: ${JSON.stringify({ type: 'assistant', text: req.prompt })}\n\n`,
    `event: result\ndata: ${JSON.stringify({ subtype: 'success', session_id: 's1', num_turns: 1 })}\n\n`,
  ];
  /** The body of the last `execute` stream (to see it destroyed when the client goes away). */
  lastAgentRunBody: Readable | undefined;
  /** Awaited at the start of every `archiveOut` (a file sync): lets a test hold a sync in flight. */
  beforeArchiveOut: () => Promise<void> = async () => {};

  private record(op: string, target: WorkspaceAgentTarget | AgentEndpoint, extra: Partial<AgentCall> = {}) {
    const endpoint = 'endpoint' in target ? target.endpoint : target;
    const token = 'endpoint' in target ? target.token : null;
    this.calls.push({ op, endpoint: key(endpoint), token, ...extra });
    if (this.unreachable)
      throw new WorkspaceAgentError(502, 'unreachable', `connect ENOENT ${key(endpoint)}`);
  }

  callsOf(op: string) {
    return this.calls.filter((c) => c.op === op);
  }

  filesOf(endpoint: AgentEndpoint): Map<string, Buffer> {
    let m = this.files.get(key(endpoint));
    if (!m) this.files.set(key(endpoint), (m = new Map()));
    return m;
  }

  async health(endpoint: AgentEndpoint): Promise<boolean> {
    this.calls.push({ op: 'health', endpoint: key(endpoint), token: null });
    if (this.unreachable) return false;
    return typeof this.healthy === 'function' ? this.healthy(endpoint) : this.healthy;
  }

  async runCommand(target: WorkspaceAgentTarget, req: AgentCommandRequest): Promise<CommandResult> {
    this.record('runCommand', target, { req });
    return this.onCommand(req);
  }

  async streamCommand(target: WorkspaceAgentTarget, req: AgentCommandRequest): Promise<WorkspaceAgentStream> {
    this.record('streamCommand', target, { req });
    const r = await this.onCommand(req);
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

  async streamAgentRun(target: WorkspaceAgentTarget, req: AgentRunRequest): Promise<WorkspaceAgentStream> {
    this.record('streamAgentRun', target, { agentRunReq: req });
    const body = Readable.from(this.onAgentRun(req), { objectMode: false });
    this.lastAgentRunBody = body;
    return { status: 200, contentType: 'text/event-stream', body };
  }

  async runBinaryCommand(
    target: WorkspaceAgentTarget,
    req: AgentCommandRequest,
  ): Promise<BinaryCommandStream> {
    this.record('runBinaryCommand', target, { req });
    const r = await this.onCommand(req);
    const stdout = Buffer.from(r.stdout, 'latin1');
    return {
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
      stdout: Readable.from([stdout]),
      size: stdout.length,
    };
  }

  async readFile(target: WorkspaceAgentTarget, path: string): Promise<FileRead> {
    this.record('readFile', target, { path });
    const files = this.filesOf(target.endpoint);
    const body = files.get(path);
    if (body) return { kind: 'file', body: Readable.from([body]), size: body.length };
    const prefix = path === '.' ? '' : `${path}/`;
    const names = [...files.keys()].filter((p) => p.startsWith(prefix));
    if (names.length === 0) throw new WorkspaceAgentError(404, 'not_found', `${path} not found`);
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

  async writeFile(target: WorkspaceAgentTarget, path: string, body: Buffer): Promise<void> {
    this.record('writeFile', target, { path });
    this.filesOf(target.endpoint).set(path, Buffer.from(body));
  }

  async deleteFile(target: WorkspaceAgentTarget, path: string): Promise<void> {
    this.record('deleteFile', target, { path });
    this.filesOf(target.endpoint).delete(path);
  }

  /** A real (ustar) tar of the endpoint's files. */
  async archiveOut(target: WorkspaceAgentTarget, path: string): Promise<Readable> {
    this.record('archiveOut', target, { path });
    await this.beforeArchiveOut();
    return Readable.from([tarOf(this.filesOf(target.endpoint))]);
  }

  /** Extracts a tar into the endpoint's files; then `afterArchiveIn` (which may change what landed). */
  async archiveIn(target: WorkspaceAgentTarget, path: string, body: Readable): Promise<void> {
    this.record('archiveIn', target, { path });
    const files = filesOfTar(await readStream(body));
    const m = this.filesOf(target.endpoint);
    for (const [p, b] of files) m.set(p, b);
    this.afterArchiveIn(m);
  }

  /** Called after every `archiveIn` with the endpoint's files. */
  afterArchiveIn: (files: Map<string, Buffer>) => void = () => {};

  async manifest(target: WorkspaceAgentTarget, path: string): Promise<Manifest> {
    this.record('manifest', target, { path });
    const b = new ManifestBuilder();
    b.write(tarOf(this.filesOf(target.endpoint)));
    return b.finish();
  }
}
