import { parseWith, type Parsed, type RequestSchema } from '@berth/protocol';
import { invalidRequest } from './errors.js';

/**
 * The public API's request schemas live in @berth/protocol (the workspace agent checks its requests with the
 * same ones); the control plane validates them once at the edge with `parseRequest`.
 */
export {
  agentRunRequest,
  commandRequest,
  createDownloadRequest,
  createUploadRequest,
  createWorkspaceRequest,
  egressRequest,
  keepaliveRequest,
  listWorkspacesQuery,
  type AgentRunRequest,
  type CommandRequest,
  type CreateWorkspaceRequest,
  type EgressRequest,
  type Parsed,
  type RequestSchema,
} from '@berth/protocol';

/** Parses or throws `invalid_request` naming the first offending field (the agent answers the same words). */
export function parseRequest<S extends RequestSchema>(schema: S, input: unknown): Parsed<S> {
  const r = parseWith(schema, input);
  if (r.ok) return r.data;
  throw invalidRequest(r.message);
}
