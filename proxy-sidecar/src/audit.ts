import { Logger } from '@aws-lambda-powertools/logger';

/** What became of a request: forwarded, refused by policy, or failed (bad request, upstream error). */
export type AuditDecision = 'allowed' | 'blocked' | 'error';

/** One audit line, written when a request or tunnel ends. */
export interface AuditEntry {
  workspaceId: string;
  /** The workspace's tenant; only the egress gateway knows it (the sidecar's lines have none). */
  tenantId?: string;
  /** `CONNECT` for tunnels. */
  method: string;
  host: string;
  port: number;
  /** Path without the query string (queries often carry secrets); null for tunnels. */
  path: string | null;
  /** Status sent to the workspace (200 for an established tunnel, 0 if the client went away first). */
  status: number;
  /** Body bytes from the workspace (tunnel: bytes it sent upstream). */
  bytesIn: number;
  /** Body bytes to the workspace (tunnel: bytes it received). */
  bytesOut: number;
  durationMs: number;
  decision: AuditDecision;
  /** Why it was blocked or failed; `allowlisted` when it was let through and completed. */
  reason: string;
  /** Injectors that ran (`anthropic`, `bedrock`, `header-rule`). */
  injected: string[];
}

/** Receives audit lines; the default writes them as JSON through Powertools Logger. */
export interface AuditSink {
  record(entry: AuditEntry): void;
}

/** Process-level logger for the proxy (startup, shutdown, unexpected errors). */
export function createLogger(): Logger {
  return new Logger({ serviceName: 'proxy-sidecar' });
}

/** Audit sink that writes one JSON line per request (`"message":"egress"`) to stdout. */
export function loggerAuditSink(logger: Logger): AuditSink {
  return {
    record(entry) {
      logger.info('egress', { ...entry });
    },
  };
}

/** Strips the query string and fragment: the path may be logged, the query must not. */
export function pathForAudit(path: string): string {
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}
