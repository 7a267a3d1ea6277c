import http from 'node:http';
import type { Readable } from 'node:stream';
import { BodyTooLarge, MAX_MANIFEST_BYTES, parseManifest, type Manifest } from '@berth/protocol';
import type { AgentEndpoint } from '../model/workspace.js';
import {
  WorkspaceAgentError,
  type WorkspaceAgentClient,
  type WorkspaceAgentStream,
  type WorkspaceAgentTarget,
  type BinaryCommandStream,
  type AgentCommandRequest,
  type CommandResult,
  type AgentRunRequest,
  type FileRead,
} from '../ports/workspace-agent-client.js';
import { readAll, readPrefix } from '../read-all.js';
import { WORKSPACE_AGENT_READ_LIMITS } from './read-limits.js';
import { NoFollowSocketPool } from './no-follow-socket-pool.js';

/**
 * The workspace agent's HTTP API over a Unix socket (local) or TCP (ECS). Connections are kept alive per
 * endpoint: an exec round trip is then one request on an open socket, which is what makes exec through the
 * control plane faster than `docker exec`.
 */
export class HttpWorkspaceAgentClient implements WorkspaceAgentClient {
  private readonly pool = new NoFollowSocketPool({
    keepAlive: true,
    maxSockets: 64,
    keepAliveMsecs: 10_000,
    // An idle connection is dropped here before the agent's own keep-alive timeout (Node's 5 s) drops it there:
    // a request sent on a connection the agent is closing fails. A frozen agent's timers catch up the moment
    // it thaws, so without this the first call after a pool claim met a connection closing under it.
    timeout: IDLE_CONNECTION_MS,
  });

  constructor(private readonly opts: { requestTimeoutMs?: number } = {}) {}

  async health(endpoint: AgentEndpoint, timeoutMs = 1000): Promise<boolean> {
    try {
      const res = await this.send(endpoint, null, 'GET', '/health', undefined, timeoutMs);
      const body = await readAll(res, WORKSPACE_AGENT_READ_LIMITS.healthBytes);
      return res.statusCode === 200 && body.includes('"ok"');
    } catch {
      return false;
    }
  }

  async runCommand(target: WorkspaceAgentTarget, req: AgentCommandRequest): Promise<CommandResult> {
    return this.json<CommandResult>(
      target,
      'POST',
      '/exec',
      req,
      WORKSPACE_AGENT_READ_LIMITS.commandResultBytes,
      commandTimeout(req),
    );
  }

  streamCommand(
    target: WorkspaceAgentTarget,
    req: AgentCommandRequest,
    signal?: AbortSignal,
  ): Promise<WorkspaceAgentStream> {
    return this.stream(target, '/exec/stream', req, commandTimeout(req), signal);
  }

  streamAgentRun(
    target: WorkspaceAgentTarget,
    req: AgentRunRequest,
    signal?: AbortSignal,
  ): Promise<WorkspaceAgentStream> {
    return this.stream(target, '/execute', req, AGENT_RUN_TIMEOUT_MS, signal);
  }

  async runBinaryCommand(
    target: WorkspaceAgentTarget,
    req: AgentCommandRequest,
  ): Promise<BinaryCommandStream> {
    const res = await this.call(target, 'POST', '/exec/binary', jsonBody(req), commandTimeout(req));
    return {
      stdout: res,
      size: contentLength(res, 'binary exec'),
      exitCode: numberHeader(res.headers['x-exit-code']),
      timedOut: res.headers['x-timed-out'] === 'true',
      durationMs: numberHeader(res.headers['x-duration-ms']) ?? 0,
    };
  }

  async readFile(target: WorkspaceAgentTarget, path: string): Promise<FileRead> {
    const res = await this.call(target, 'GET', filesPath('/files', path));
    if ((res.headers['content-type'] ?? '').startsWith('application/json')) {
      const listing = await readAnswer(res, WORKSPACE_AGENT_READ_LIMITS.listingBytes, 'directory listing');
      return { kind: 'dir', entries: JSON.parse(listing.toString('utf8')).entries };
    }
    return { kind: 'file', body: res, size: contentLength(res, 'file') };
  }

  async writeFile(target: WorkspaceAgentTarget, path: string, body: Buffer): Promise<void> {
    await this.noContent(target, 'PUT', filesPath('/files', path), {
      type: 'application/octet-stream',
      data: body,
    });
  }

  async deleteFile(target: WorkspaceAgentTarget, path: string): Promise<void> {
    await this.noContent(target, 'DELETE', filesPath('/files', path));
  }

  async archiveOut(target: WorkspaceAgentTarget, path: string): Promise<Readable> {
    const res = await this.call(
      target,
      'GET',
      filesPath('/files/archive', path),
      undefined,
      ARCHIVE_IDLE_TIMEOUT_MS,
    );
    // The agent aborts the chunked body when tar fails mid-way: surface that as an error, not a short tar.
    res.on('aborted', () =>
      res.destroy(new WorkspaceAgentError(502, 'agent_error', 'the archive stream broke off')),
    );
    return res;
  }

  async archiveIn(target: WorkspaceAgentTarget, path: string, body: Readable): Promise<void> {
    await this.noContent(
      target,
      'PUT',
      filesPath('/files/archive', path),
      { type: 'application/x-tar', stream: body },
      ARCHIVE_IDLE_TIMEOUT_MS,
    );
  }

  async manifest(target: WorkspaceAgentTarget, path: string): Promise<Manifest> {
    const res = await this.call(
      target,
      'GET',
      filesPath('/files/manifest', path),
      undefined,
      MANIFEST_TIMEOUT_MS,
    );
    return parseManifest((await readAnswer(res, MAX_MANIFEST_BYTES, 'manifest')).toString('utf8'));
  }

  close(): void {
    this.pool.destroy();
  }

  /** POST of a JSON body whose answer is an event stream, handed over unread. */
  private async stream(
    target: WorkspaceAgentTarget,
    path: string,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WorkspaceAgentStream> {
    const res = await this.call(target, 'POST', path, jsonBody(body), timeoutMs, signal);
    return {
      status: res.statusCode ?? 200,
      contentType: res.headers['content-type'] ?? 'text/event-stream',
      body: res,
    };
  }

  private async json<T>(
    target: WorkspaceAgentTarget,
    method: string,
    path: string,
    body: unknown,
    limit: number,
    timeoutMs?: number,
  ): Promise<T> {
    const res = await this.call(target, method, path, jsonBody(body), timeoutMs);
    return JSON.parse((await readAnswer(res, limit, `answer to ${method} ${path}`)).toString('utf8')) as T;
  }

  private async noContent(
    target: WorkspaceAgentTarget,
    method: string,
    path: string,
    body?: Body,
    timeoutMs?: number,
  ) {
    const res = await this.call(target, method, path, body, timeoutMs);
    // Nothing is expected; an agent that sends a body anyway is not drained without end.
    await readAnswer(
      res,
      WORKSPACE_AGENT_READ_LIMITS.errorBytes,
      `answer to ${method} ${path.split('?')[0]}`,
    );
  }

  /** An authenticated request to the workspace's agent; a non-2xx answer rejects with the agent's error. */
  private async call(
    target: WorkspaceAgentTarget,
    method: string,
    path: string,
    body?: Body,
    timeoutMs?: number,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const res = await this.send(target.endpoint, target.token, method, path, body, timeoutMs, signal);
    await failUnlessOk(res);
    return res;
  }

  private async send(
    endpoint: AgentEndpoint,
    token: string | null,
    method: string,
    path: string,
    body?: Body,
    timeoutMs = this.opts.requestTimeoutMs ?? 30_000,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const attempt = () => this.sendOnce(endpoint, token, method, path, body, timeoutMs, signal);
    try {
      return await attempt();
    } catch (e) {
      // A kept-alive connection the agent closed as the request went out: the agent never read it, so it is
      // sent again once, on a new connection (Node's advice for reused sockets). A streamed body cannot be.
      if (!staleConnection.has(e as object) || body?.stream) throw e;
      return attempt();
    }
  }

  private sendOnce(
    endpoint: AgentEndpoint,
    token: string | null,
    method: string,
    path: string,
    body: Body | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body) {
        headers['content-type'] = body.type;
        if (body.data) headers['content-length'] = body.data.length;
      }
      const where =
        endpoint.kind === 'uds'
          ? { socketPath: endpoint.socketPath }
          : { host: endpoint.host, port: endpoint.port };
      const req = http.request({ ...where, method, path, headers, agent: this.pool, signal });
      let answered = false;
      req.setTimeout(timeoutMs, () =>
        req.destroy(new WorkspaceAgentError(0, 'unreachable', `agent did not answer within ${timeoutMs} ms`)),
      );
      req.on('response', (res) => {
        answered = true;
        resolve(res);
        // An answer before the streamed body was sent (the agent refused it): stop sending, and drop the
        // connection once the answer is read, since its request never ended.
        if (body?.stream && !req.writableFinished) {
          body.stream.unpipe(req);
          body.stream.destroy();
          res.once('close', () => req.destroy());
        }
      });
      req.on('error', (e) => {
        if (answered) return;
        const error =
          e instanceof WorkspaceAgentError
            ? e
            : new WorkspaceAgentError(0, 'unreachable', `agent unreachable: ${(e as Error).message}`);
        const code = (e as NodeJS.ErrnoException).code;
        if (req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) staleConnection.add(error);
        reject(error);
      });
      if (body?.stream) {
        // A failing source fails the request (the agent sees a broken upload and extracts nothing more).
        body.stream.once('error', (e) => req.destroy(e));
        body.stream.pipe(req);
      } else {
        req.end(body?.data);
      }
    });
  }
}

/** Idle kept-alive connections are closed after this (below the agent's 5 s keep-alive timeout). */
const IDLE_CONNECTION_MS = 4_000;

/** Errors of requests that failed on a reused connection the agent had closed. */
const staleConnection = new WeakSet<object>();

/** A files route of the agent for a workspace-relative path. */
const filesPath = (route: string, path: string) => `${route}?path=${encodeURIComponent(path)}`;

/** A request body: bytes in memory, or a stream piped with backpressure (chunked, no length). */
type Body =
  | { type: string; data: Buffer; stream?: undefined }
  | { type: string; data?: undefined; stream: Readable };

/**
 * Archives are streamed for as long as they take; only silence is an error: no byte either way for this
 * long (the socket's idle timer restarts with every chunk).
 */
const ARCHIVE_IDLE_TIMEOUT_MS = 60_000;

/**
 * The agent answers a manifest only once it has hashed the whole tree (silent meanwhile): at a few hundred
 * MB/s, a full 5 GiB workspace takes well under this.
 */
const MANIFEST_TIMEOUT_MS = 300_000;

const jsonBody = (v: unknown): Body => ({ type: 'application/json', data: Buffer.from(JSON.stringify(v)) });

/** The HTTP request may last as long as the command, plus a margin for the answer. */
const commandTimeout = (req: AgentCommandRequest) => (req.timeoutMs ?? 60_000) + 10_000;

/**
 * An agent run has no timeout of its own and may think for minutes between events (the socket's idle timer
 * restarts with every byte): as long as the longest command (15 min) plus the same margin as exec.
 */
const AGENT_RUN_TIMEOUT_MS = 900_000 + 10_000;

const numberHeader = (v: string | string[] | undefined) => {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && v !== undefined ? n : null;
};

/** An answer to parse, read up to `limit`: past it, a clear `answer_too_large` instead of memory growth. */
async function readAnswer(res: http.IncomingMessage, limit: number, what: string): Promise<Buffer> {
  try {
    return await readAll(res, limit);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    throw new WorkspaceAgentError(
      502,
      'answer_too_large',
      `the workspace agent's ${what} is over ${limit} bytes`,
    );
  }
}

/** The declared length of a body that is streamed on, not read: required, so it can be passed through. */
function contentLength(res: http.IncomingMessage, what: string): number {
  const size = Number(res.headers['content-length'] ?? NaN);
  if (Number.isSafeInteger(size) && size >= 0) return size;
  res.destroy();
  throw new WorkspaceAgentError(
    502,
    'agent_error',
    `the workspace agent sent a ${what} without a valid content-length`,
  );
}

/** Turns a non-2xx answer into WorkspaceAgentError with the agent's own code and message. */
async function failUnlessOk(res: http.IncomingMessage): Promise<void> {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return;
  // Only a prefix: an agent answering an endless error body must not grow our memory.
  const text = (await readPrefix(res, WORKSPACE_AGENT_READ_LIMITS.errorBytes)).toString('utf8');
  let code = 'agent_error';
  let message = text.slice(0, 500) || `agent answered ${status}`;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code ?? code;
    message = parsed.error?.message ?? message;
  } catch {
    // not JSON: keep the raw text
  }
  throw new WorkspaceAgentError(status, code, message);
}
