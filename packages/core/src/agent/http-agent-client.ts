import http from 'node:http';
import type { Readable } from 'node:stream';
import type { AgentEndpoint } from '../model/workspace.js';
import {
  AgentError,
  type AgentActivity,
  type AgentClient,
  type AgentStream,
  type AgentTarget,
  type BinaryExecResult,
  type ExecRequest,
  type ExecResult,
  type ExecuteRequest,
  type FileRead,
} from '../ports/agent-client.js';

/**
 * The workspace agent's HTTP API over a Unix socket (local) or TCP (ECS). Connections are kept alive per
 * endpoint: an exec round trip is then one request on an open socket, which is what makes exec through the
 * control plane faster than `docker exec`.
 */
export class HttpAgentClient implements AgentClient {
  private readonly pool = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });

  constructor(private readonly opts: { requestTimeoutMs?: number } = {}) {}

  async health(endpoint: AgentEndpoint, timeoutMs = 1000): Promise<boolean> {
    try {
      const res = await this.send(endpoint, null, 'GET', '/health', undefined, timeoutMs);
      const body = await readAll(res);
      return res.statusCode === 200 && body.includes('"ok"');
    } catch {
      return false;
    }
  }

  async activity(endpoint: AgentEndpoint): Promise<AgentActivity> {
    const res = await this.send(endpoint, null, 'GET', '/health', undefined, 2000);
    await failUnlessOk(res);
    const body = JSON.parse((await readAll(res)).toString('utf8')) as { runningCommands?: number };
    return { runningCommands: body.runningCommands ?? 0 };
  }

  async exec(target: AgentTarget, req: ExecRequest): Promise<ExecResult> {
    return this.json<ExecResult>(target, 'POST', '/exec', req, execTimeout(req));
  }

  execStream(target: AgentTarget, req: ExecRequest, signal?: AbortSignal): Promise<AgentStream> {
    return this.stream(target, '/exec/stream', req, execTimeout(req), signal);
  }

  execute(target: AgentTarget, req: ExecuteRequest, signal?: AbortSignal): Promise<AgentStream> {
    return this.stream(target, '/execute', req, EXECUTE_TIMEOUT_MS, signal);
  }

  async execBinary(target: AgentTarget, req: ExecRequest): Promise<BinaryExecResult> {
    const res = await this.send(
      target.endpoint,
      target.token,
      'POST',
      '/exec/binary',
      jsonBody(req),
      execTimeout(req),
    );
    await failUnlessOk(res);
    const stdout = await readAll(res);
    return {
      stdout,
      exitCode: numberHeader(res.headers['x-exit-code']),
      timedOut: res.headers['x-timed-out'] === 'true',
      durationMs: numberHeader(res.headers['x-duration-ms']) ?? 0,
    };
  }

  async readFile(target: AgentTarget, path: string): Promise<FileRead> {
    const res = await this.send(
      target.endpoint,
      target.token,
      'GET',
      `/files?path=${encodeURIComponent(path)}`,
    );
    await failUnlessOk(res);
    const body = await readAll(res);
    if ((res.headers['content-type'] ?? '').startsWith('application/json')) {
      return { kind: 'dir', entries: JSON.parse(body.toString('utf8')).entries };
    }
    return { kind: 'file', body };
  }

  async writeFile(target: AgentTarget, path: string, body: Buffer): Promise<void> {
    await this.noContent(target, 'PUT', `/files?path=${encodeURIComponent(path)}`, {
      type: 'application/octet-stream',
      data: body,
    });
  }

  async deleteFile(target: AgentTarget, path: string): Promise<void> {
    await this.noContent(target, 'DELETE', `/files?path=${encodeURIComponent(path)}`);
  }

  async archiveOut(target: AgentTarget, path: string): Promise<Buffer> {
    const res = await this.send(
      target.endpoint,
      target.token,
      'GET',
      `/files/archive?path=${encodeURIComponent(path)}`,
      undefined,
      300_000,
    );
    await failUnlessOk(res);
    return readAll(res);
  }

  async archiveIn(target: AgentTarget, path: string, tar: Buffer): Promise<void> {
    await this.noContent(
      target,
      'PUT',
      `/files/archive?path=${encodeURIComponent(path)}`,
      { type: 'application/x-tar', data: tar },
      300_000,
    );
  }

  close(): void {
    this.pool.destroy();
  }

  /** POST of a JSON body whose answer is an event stream, handed over unread. */
  private async stream(
    target: AgentTarget,
    path: string,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AgentStream> {
    const res = await this.send(
      target.endpoint,
      target.token,
      'POST',
      path,
      jsonBody(body),
      timeoutMs,
      signal,
    );
    await failUnlessOk(res);
    return {
      status: res.statusCode ?? 200,
      contentType: res.headers['content-type'] ?? 'text/event-stream',
      body: res,
    };
  }

  private async json<T>(
    target: AgentTarget,
    method: string,
    path: string,
    body: unknown,
    timeoutMs?: number,
  ): Promise<T> {
    const res = await this.send(target.endpoint, target.token, method, path, jsonBody(body), timeoutMs);
    await failUnlessOk(res);
    return JSON.parse((await readAll(res)).toString('utf8')) as T;
  }

  private async noContent(
    target: AgentTarget,
    method: string,
    path: string,
    body?: Body,
    timeoutMs?: number,
  ) {
    const res = await this.send(target.endpoint, target.token, method, path, body, timeoutMs);
    await failUnlessOk(res);
    res.resume();
  }

  private send(
    endpoint: AgentEndpoint,
    token: string | null,
    method: string,
    path: string,
    body?: Body,
    timeoutMs = this.opts.requestTimeoutMs ?? 30_000,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body) {
        headers['content-type'] = body.type;
        headers['content-length'] = body.data.length;
      }
      const where =
        endpoint.kind === 'uds'
          ? { socketPath: endpoint.socketPath }
          : { host: endpoint.host, port: endpoint.port };
      const req = http.request({ ...where, method, path, headers, agent: this.pool, signal });
      let answered = false;
      req.setTimeout(timeoutMs, () =>
        req.destroy(new AgentError(0, 'unreachable', `agent did not answer within ${timeoutMs} ms`)),
      );
      req.on('response', (res) => {
        answered = true;
        resolve(res);
      });
      req.on('error', (e) => {
        if (answered) return;
        reject(
          e instanceof AgentError
            ? e
            : new AgentError(0, 'unreachable', `agent unreachable: ${(e as Error).message}`),
        );
      });
      req.end(body?.data);
    });
  }
}

interface Body {
  type: string;
  data: Buffer;
}

const jsonBody = (v: unknown): Body => ({ type: 'application/json', data: Buffer.from(JSON.stringify(v)) });

/** The HTTP request may last as long as the command, plus a margin for the answer. */
const execTimeout = (req: ExecRequest) => (req.timeoutMs ?? 60_000) + 10_000;

/**
 * An agent run has no timeout of its own and may think for minutes between events (the socket's idle timer
 * restarts with every byte): as long as the longest command (15 min) plus the same margin as exec.
 */
const EXECUTE_TIMEOUT_MS = 900_000 + 10_000;

const numberHeader = (v: string | string[] | undefined) => {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && v !== undefined ? n : null;
};

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Turns a non-2xx answer into AgentError with the agent's own code and message. */
async function failUnlessOk(res: http.IncomingMessage): Promise<void> {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return;
  const text = (await readAll(res)).toString('utf8');
  let code = 'agent_error';
  let message = text.slice(0, 500) || `agent answered ${status}`;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = parsed.error?.code ?? code;
    message = parsed.error?.message ?? message;
  } catch {
    // not JSON: keep the raw text
  }
  throw new AgentError(status, code, message);
}
