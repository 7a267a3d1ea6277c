import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll } from 'vitest';
import {
  startLocalHost,
  type LocalHost,
  type LocalHostOptions,
} from '../../local-docker/src/host/local-host.js';
import { labelKeys, managedFilter } from '../../local-docker/src/runtime/labels.js';
import type { WorkspaceView as CoreWorkspaceView } from '@berth/core';
import { removeBerthLeftovers, removeContainers } from './leftovers.js';

/**
 * One real local Berth per test file: the local host (same Lambda handlers as the cloud) on a fresh temp
 * state dir, its own DynamoDB Local, the real Docker engine and the real workspace image. Everything a
 * test creates is removed in afterAll: containers (by this file's label prefix AND the ids this file saw),
 * the state dir.
 */

// Metrics are emitted as EMF lines on stdout: thousands of them would drown the test report.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

export interface ApiOptions {
  /** API key; default tenant A's. `null` sends no Authorization header. */
  key?: string | null;
  /** An object/array is sent as JSON; a string or Buffer as is (set the content type yourself). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Aborts the request (closing a stream early). */
  signal?: AbortSignal;
}

/** API.md's error body: any answer may be one. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/** Untyped JSON answers (error bodies, ad-hoc shapes) stay convenient to assert on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJson = any;

export interface ApiAnswer<T = AnyJson> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else undefined; an error answer has API.md's error body. */
  json: T & Partial<ErrorBody>;
  text: string;
  bytes: Buffer;
  /** Time to the full answer, ms. */
  ms: number;
}

export interface SseEvent {
  event: string;
  /** The raw `data:` payload (lines joined with \n). */
  data: string;
  /** ms since readSse was called, when the event's last line arrived. */
  at: number;
}

/** What the API answers for a workspace (API.md), as the core defines it. */
export type WorkspaceView = CoreWorkspaceView;

export interface ExecAnswer {
  exitCode: number | null;
  signal?: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  truncated: boolean;
}

export interface LocalBerthOptions {
  sweepIntervalMs?: number;
  config?: LocalHostOptions['config'];
  /** Warm pools by template (the host's BERTH_POOL_TARGETS). */
  pools?: LocalHostOptions['pools'];
  /** Provisionings at once (the rest wait their turn). */
  concurrentStarts?: number;
  /** Egress settings, read when the host starts (so a fake upstream started in an earlier beforeAll fits). */
  egress?: () => LocalHostOptions['egress'];
}

export interface LocalBerth {
  readonly host: LocalHost;
  readonly url: string;
  readonly stateDir: string;
  readonly keys: { A: string; B: string };
  readonly docker: Dockerode;
  /**
   * This file's container label prefix (labels.ts keys under it). Never the default `dev.berth`: the host's
   * orphan sweep stops every container under its prefix that its own table does not know, so sharing the
   * default would destroy a developer's real local workspaces (and theirs ours).
   */
  readonly labelPrefix: string;
  api<T = AnyJson>(method: string, path: string, opts?: ApiOptions): Promise<ApiAnswer<T>>;
  /** The raw fetch Response (streams). */
  fetch(method: string, path: string, opts?: ApiOptions): Promise<Response>;
  /** POST /v1/workspaces; throws unless the answer is 200/201. */
  createWorkspace(
    conversationId: string,
    extra?: Record<string, unknown>,
    key?: string,
  ): Promise<ApiAnswer<WorkspaceView>>;
  /** POST /v1/workspaces/{id}/exec (JSON). */
  exec(
    id: string,
    cmd: string[],
    opts?: { cwd?: string; env?: Record<string, string>; stdin?: string; timeoutMs?: number; key?: string },
  ): Promise<ApiAnswer<ExecAnswer>>;
  /** Runs `sh -c script` and demands exit 0; returns stdout. */
  sh(id: string, script: string): Promise<string>;
  /** Remember an id so afterAll removes its container even if no answer named it. */
  track(workspaceId: string): void;
  /** Berth's containers for a workspace id (any state). */
  containersOf(workspaceId: string): Promise<Dockerode.ContainerInfo[]>;
  /** Stops this host and starts a new one on the same state dir (and the same keys); `whileDown` runs between. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws with the last value). */
  until<T>(fn: () => Promise<T>, timeoutMs: number, what: string, intervalMs?: number): Promise<T>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const uniq = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Parses a text/event-stream body; records when each event arrived (ms since the call). */
export async function readSse(response: Response): Promise<SseEvent[]> {
  const started = performance.now();
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  const flushLine = (line: string) => {
    if (line === '') {
      if (data.length) events.push({ event, data: data.join('\n'), at: performance.now() - started });
      event = 'message';
      data = [];
      return;
    }
    if (line.startsWith(':')) return; // comment / heartbeat
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  };
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const len = buffer.startsWith('\r\n', nl) ? 2 : 1;
      flushLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + len);
    }
  }
  buffer += decoder.decode();
  if (buffer) flushLine(buffer);
  flushLine('');
  return events;
}

/** Registers beforeAll/afterAll for one local host; use the returned object inside tests. */
export function useLocalBerth(options: LocalBerthOptions = {}): LocalBerth {
  const docker = new Dockerode();
  const keys = { A: `keyA-${randomBytes(12).toString('hex')}`, B: `keyB-${randomBytes(12).toString('hex')}` };
  const seen = new Set<string>();
  const labelPrefix = `e2e.berth.r${randomBytes(4).toString('hex')}`;
  let host: LocalHost | undefined;
  let stateDir = '';

  const start = () =>
    startLocalHost({
      stateDir,
      port: 0,
      apiKeys: `tenantA:${keys.A},tenantB:${keys.B}`,
      labelPrefix,
      logLevel: (process.env.BERTH_E2E_LOG_LEVEL as 'INFO' | undefined) ?? 'SILENT',
      // Debugging aid: a pinned copy of the workspace image (the image builder replaces the canonical tag).
      ...(process.env.BERTH_E2E_IMAGE ? { image: process.env.BERTH_E2E_IMAGE } : {}),
      sweepIntervalMs: options.sweepIntervalMs ?? 500,
      ...(options.config ? { config: options.config } : {}),
      ...(options.pools ? { pools: options.pools } : {}),
      ...(options.concurrentStarts ? { concurrentStarts: options.concurrentStarts } : {}),
      ...(options.egress ? { egress: options.egress() } : {}),
    });

  const noteIds = (value: unknown) => {
    if (!value || typeof value !== 'object') return;
    const v = value as { id?: unknown; items?: unknown };
    if (typeof v.id === 'string' && v.id.startsWith('ws_')) seen.add(v.id);
    if (Array.isArray(v.items)) v.items.forEach(noteIds);
  };

  const self: LocalBerth = {
    get host() {
      if (!host) throw new Error('local host not started (use inside tests)');
      return host;
    },
    get url() {
      return self.host.url;
    },
    get stateDir() {
      return stateDir;
    },
    keys,
    docker,
    labelPrefix,

    async fetch(method, p, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const key = opts.key === undefined ? keys.A : opts.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | Uint8Array | undefined;
      if (opts.body !== undefined) {
        if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body) || opts.body instanceof Uint8Array) {
          body = opts.body as string | Uint8Array;
        } else {
          body = JSON.stringify(opts.body);
          headers['content-type'] ??= 'application/json';
        }
      }
      return fetch(`${self.url}${p}`, {
        method,
        headers,
        body,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    },

    async api(method, p, opts = {}) {
      const t0 = performance.now();
      const res = await self.fetch(method, p, opts);
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = bytes.toString('utf8');
      let json: unknown;
      if ((res.headers.get('content-type') ?? '').startsWith('application/json')) {
        json = JSON.parse(text);
        noteIds(json);
      }
      return {
        status: res.status,
        headers: res.headers,
        json: json as never,
        text,
        bytes,
        ms: performance.now() - t0,
      };
    },

    async createWorkspace(conversationId, extra = {}, key) {
      const r = await self.api<WorkspaceView>('POST', '/v1/workspaces', {
        body: { conversationId, ...extra },
        ...(key ? { key } : {}),
      });
      if (r.status !== 200 && r.status !== 201) {
        throw new Error(`create ${conversationId}: ${r.status} ${r.text}`);
      }
      return r;
    },

    exec(id, cmd, opts = {}) {
      const { key, ...rest } = opts;
      return self.api<ExecAnswer>('POST', `/v1/workspaces/${id}/exec`, {
        body: { cmd, ...rest },
        ...(key ? { key } : {}),
      });
    },

    async sh(id, script) {
      const r = await self.exec(id, ['sh', '-c', script]);
      if (r.status !== 200 || r.json.exitCode !== 0) {
        throw new Error(`sh ${JSON.stringify(script)} in ${id}: ${r.status} ${r.text}`);
      }
      return r.json.stdout;
    },

    track(id) {
      seen.add(id);
    },

    async containersOf(workspaceId) {
      return docker.listContainers({
        all: true,
        filters: {
          label: [managedFilter(labelPrefix), `${labelKeys(labelPrefix).workspaceId}=${workspaceId}`],
        },
      });
    },

    async restart(whileDown) {
      await host?.close();
      host = undefined;
      await whileDown?.();
      host = await start();
    },

    async until(fn, timeoutMs, what, intervalMs = 50) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        last = await fn();
        if (last) return last as never;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(intervalMs);
      }
    },
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'berth-e2e-'));
    host = await start();
  });

  afterAll(async () => {
    await host?.close().catch(() => undefined);
    host = undefined;
    // Our containers: under this file's label prefix, or Berth-labelled with an id this file saw.
    const ours = [
      ...(await docker.listContainers({ all: true, filters: { label: [managedFilter(labelPrefix)] } })),
      ...(await docker.listContainers({ all: true, filters: { label: [managedFilter()] } })).filter((c) =>
        seen.has(c.Labels[labelKeys().workspaceId] ?? ''),
      ),
    ];
    await removeContainers(
      docker,
      ours.map((c) => c.Id),
    );
    await removeBerthLeftovers({ docker, labelPrefix, stateDir });
  });

  return self;
}

/** API.md's error shape, with the exact code. */
export function expectErrorShape(r: ApiAnswer, status: number, code?: string): void {
  const problems: string[] = [];
  if (r.status !== status) problems.push(`status ${r.status} != ${status}`);
  const e = (r.json as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined)
    ?.error;
  if (!e) problems.push('no error object');
  else {
    if (typeof e.code !== 'string' || !/^[a-z_]+$/.test(e.code)) problems.push(`bad code ${String(e.code)}`);
    if (code !== undefined && e.code !== code) problems.push(`code ${String(e.code)} != ${code}`);
    if (typeof e.message !== 'string' || !e.message) problems.push('no message');
    if (typeof e.requestId !== 'string' || !e.requestId) problems.push('no requestId');
    if (typeof e.message === 'string' && /\n\s+at /.test(e.message)) problems.push('stack trace in message');
  }
  if (problems.length)
    throw new Error(`${problems.join('; ')} — answer: ${r.status} ${r.text.slice(0, 300)}`);
}
