import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { makeAuthCheck } from './auth.js';
import type { AgentConfig } from './config.js';
import type { RequestContext } from './context.js';
import { AgentHttpError, toAgentHttpError } from './errors.js';
import type { Launcher } from './commands/launcher.js';
import type { CommandRegistry } from './commands/command-registry.js';
import type { ChangeLog } from './files/change-log.js';
import type { WorkspaceRoot } from './files/safe-path.js';
import { sendJson } from './http-io.js';
import { WORKSPACE_AGENT_LIMITS, type HealthResponse } from '@berth/protocol';
import { logRequest, stdoutLog, type RequestLogFields } from './request-log.js';
import type { ROUTES } from './routes.js';
import { AGENT_VERSION } from './version.js';
import { runningCommands } from './commands/activity.js';

/**
 * The agent's HTTP server (not yet listening). Everything but GET /health needs an agent token for this
 * workspace, checked before routing so an unauthenticated caller learns nothing about which paths exist.
 */
export function createAgentServer(
  config: AgentConfig,
  ws: WorkspaceRoot,
): { server: Server; preload(): void } {
  const checkAuth = makeAuthCheck(config);
  const log = config.log ?? stdoutLog;
  const startedAt = performance.now();
  // The route modules (exec, files, tar) are most of the agent's code: importing them after listen() keeps
  // process start → listening short, which is what provisioning waits on (it polls /health).
  let routes: Promise<{
    table: typeof ROUTES;
    changes: ChangeLog;
    launch: Launcher;
    commands: CommandRegistry;
  }>;
  const loadRoutes = () =>
    (routes ??= import('./routes.js').then((m) => ({
      table: m.ROUTES,
      changes: new m.ChangeLog(ws),
      launch: m.createLauncher(config),
      commands: new m.CommandRegistry({
        bufferBytes: WORKSPACE_AGENT_LIMITS.commandBufferBytes,
        endedKept: WORKSPACE_AGENT_LIMITS.endedCommandsKept,
      }),
    })));

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL, logged: RequestLogFields) => {
    if (url.pathname === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(res, ['GET']);
      const health: HealthResponse = {
        status: 'ok',
        version: AGENT_VERSION,
        uptimeMs: Math.round(performance.now() - startedAt),
        runningCommands: runningCommands(),
      };
      sendJson(res, 200, health);
      return;
    }
    const auth = checkAuth(req.headers.authorization);
    if (!auth.ok) {
      logged.authRefused = auth.reason;
      res.setHeader('www-authenticate', 'Bearer');
      throw new AgentHttpError('unauthorized', 'missing or invalid bearer token');
    }
    const { table, changes, launch, commands } = await loadRoutes();
    const methods = table[url.pathname];
    if (!methods) throw new AgentHttpError('not_found', `no route ${url.pathname}`);
    const handler = methods[req.method ?? ''];
    if (!handler) throw methodNotAllowed(res, Object.keys(methods));
    await handler({ req, res, url, config, ws, changes, launch, commands } satisfies RequestContext);
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent');
    } catch {
      url = new URL('http://agent/');
    }
    const logged = logRequest(log, req, res, url.pathname, started);
    handle(req, res, url, logged).catch((err: unknown) => sendError(res, err));
  });
  return {
    server,
    preload: () => {
      loadRoutes()
        .then(({ launch }) => warmUp(launch, config.workspaceDir))
        .catch(() => {}); // a failure resurfaces (as a 500) on the first request that needs them
    },
  };
}

/**
 * Starts one command that does nothing, so that the first command a user runs finds the launcher (the
 * berth-spawner helper) started and its code paths compiled: a warm pool member is claimed idle, and its first
 * command is what a user times.
 */
function warmUp(launch: Launcher, cwd: string) {
  const ignore = () => {};
  launch(
    { argv: ['/bin/true'], cwd, env: {} },
    {
      onSpawn: ignore,
      onStdout: ignore,
      onStderr: ignore,
      onError: ignore,
      onClose: ignore,
    },
  );
}

function methodNotAllowed(res: ServerResponse, allowed: string[]): AgentHttpError {
  res.setHeader('allow', allowed.join(', '));
  return new AgentHttpError('method_not_allowed', `method not allowed; use ${allowed.join(' or ')}`);
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = toAgentHttpError(err);
  if (e.code === 'internal') {
    process.stderr.write(
      `${JSON.stringify({ level: 'error', msg: 'request failed', error: String(err) })}\n`,
    );
  }
  if (res.headersSent) {
    res.destroy(); // mid-stream: the client must see an incomplete answer, not a clean end
    return;
  }
  // The body may be unread (413, 401): close the connection rather than drain an arbitrary amount.
  if (e.status === 413) res.setHeader('connection', 'close');
  sendJson(res, e.status, e.toBody());
}
