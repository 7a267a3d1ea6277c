import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { SseDecoder } from '@berth/protocol';
import { signAgentToken } from '@berth/protocol/agent-token';
import { startAgent, type AgentConfig, type RunningAgent } from '../src/index.js';
import { BUNDLED_SPAWNER, DEFAULT_ANTHROPIC_API_KEY } from '../src/config.js';

/** The control plane's signing key pair of these tests: test agents trust its public key. */
export const AGENT_KEYS = generateKeyPairSync('ed25519');
/** The workspace test agents serve unless told otherwise. */
export const WORKSPACE_ID = 'ws_test-0001';

/**
 * A fresh agent token as the control plane would sign it: for WORKSPACE_ID, valid from now for 5 minutes,
 * signed by AGENT_KEYS; each can be changed.
 */
export function agentToken(
  opts: { workspaceId?: string; issuedAt?: number; expiresAt?: number; privateKey?: KeyObject } = {},
): string {
  const issuedAt = opts.issuedAt ?? Math.floor(Date.now() / 1000);
  return signAgentToken(opts.privateKey ?? AGENT_KEYS.privateKey, {
    workspaceId: opts.workspaceId ?? WORKSPACE_ID,
    issuedAt,
    expiresAt: opts.expiresAt ?? issuedAt + 300,
  });
}

/** An `Authorization` header value with a fresh token for `workspaceId`. */
export const authHeader = (workspaceId = WORKSPACE_ID) => `Bearer ${agentToken({ workspaceId })}`;

/**
 * Both ways commands start (src/commands/launchers.ts): exec suites run once per launcher. The helper binary is
 * built by `npm run build:spawner` (setup does it); without it these suites fail rather than skip.
 */
export const WITH_SPAWNER: Pick<AgentConfig, 'spawnerPath'> = { spawnerPath: BUNDLED_SPAWNER };
export const LAUNCHERS: { name: string; config: Pick<AgentConfig, 'spawnerPath'> }[] = [
  { name: 'berth-spawner', config: WITH_SPAWNER },
  { name: 'child_process', config: {} },
];

export function requireSpawner(): void {
  if (!existsSync(BUNDLED_SPAWNER)) {
    throw new Error(`${BUNDLED_SPAWNER} is missing: run \`npm run build:spawner\` (or scripts/setup.mjs)`);
  }
}

export interface TestAgent {
  agent: RunningAgent;
  /** Temp dir holding the workspace (root/ws), socket and an "outside" dir next to the workspace. */
  dir: string;
  root: string;
  /** realpath of root. */
  realRoot: string;
  outside: string;
  logs: string[];
  config: AgentConfig;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** Sends a request; the raw response comes later (for streams and disconnects). */
  open(
    method: string,
    path: string,
    opts?: CallOptions,
  ): { response: Promise<IncomingMessage>; abort(): void };
  stop(): Promise<void>;
}

export interface CallOptions {
  body?: Buffer | string | object;
  headers?: Record<string, string>;
  /** The bearer token; default: a fresh one for the agent's workspace; null: no Authorization header. */
  token?: string | null;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function startTestAgent(overrides: Partial<AgentConfig> = {}): Promise<TestAgent> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-agent-'));
  const { mkdir } = await import('node:fs/promises');
  const root = join(dir, 'ws');
  const outside = join(dir, 'outside');
  await mkdir(root);
  await mkdir(outside);
  const logs: string[] = [];
  const config: AgentConfig = {
    listenMode: 'uds',
    socketPath: join(dir, 'agent.sock'),
    host: '127.0.0.1',
    port: 0,
    workspaceId: WORKSPACE_ID,
    tokenPublicKey: AGENT_KEYS.publicKey,
    workspaceDir: root,
    childHome: join(dir, 'home'),
    proxyPort: 0,
    maxOutputBytes: 1024 * 1024,
    anthropicApiKey: DEFAULT_ANTHROPIC_API_KEY,
    log: (line) => logs.push(line),
    ...overrides,
  };
  const agent = await startAgent(config);
  const target =
    config.listenMode === 'uds' ? { socketPath: config.socketPath } : { host: '127.0.0.1', port: agent.port };

  const open = (method: string, path: string, opts: CallOptions = {}) => {
    let abort = () => {};
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? agentToken({ workspaceId: config.workspaceId }) : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: Buffer | undefined;
      if (Buffer.isBuffer(opts.body) || typeof opts.body === 'string') body = Buffer.from(opts.body);
      else if (opts.body !== undefined) {
        body = Buffer.from(JSON.stringify(opts.body));
        headers['content-type'] ??= 'application/json';
      }
      const req = httpRequest({ ...target, method, path, headers }, resolve);
      abort = () => req.destroy();
      req.on('error', reject);
      req.end(body);
    });
    return { response, abort: () => abort() };
  };

  const call = async (method: string, path: string, opts: CallOptions = {}): Promise<Reply> => {
    const res = await open(method, path, opts).response;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    return {
      status: res.statusCode ?? 0,
      headers: res.headers,
      body,
      json: () => JSON.parse(body.toString('utf8')),
    };
  };

  return {
    agent,
    dir,
    root,
    realRoot: await realpath(root),
    outside,
    logs,
    config,
    call,
    open,
    async stop() {
      await agent.close();
      // An agent run's SDK process may still be writing its home as the agent stops: retried, not a failure.
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    },
  };
}

export const q = (path: string) => encodeURIComponent(path);

/** The events of a whole SSE body, read by the protocol's decoder (the one the control plane and SDK use). */
export function parseSse(text: string): { event: string; data: string }[] {
  const decoder = new SseDecoder();
  return [...decoder.push(text), ...decoder.end()].map(({ event, data }) => ({ event, data }));
}

/** Builds a ustar archive from scratch, so tests can make archives `tar` itself would refuse to create. */
export interface TarEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'fifo';
  linkname?: string;
  content?: Buffer | string;
}

export function makeTar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  const flags = { file: '0', hardlink: '1', symlink: '2', chardev: '3', dir: '5', fifo: '6' } as const;
  for (const e of entries) {
    const content = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write(e.type === 'dir' ? '0000755\0' : '0000644\0', 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(content.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write('        ', 148, 'latin1');
    h.write(flags[e.type ?? 'file'], 156, 'latin1');
    if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
    h.write('ustar\0', 257, 'latin1');
    h.write('00', 263, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    blocks.push(h, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True once the process is gone (or a zombie waiting for its reaper). */
export async function processGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
