import { agentRunRequest } from '../api/agent-runs.js';
import { commandRequest } from '../api/commands.js';
import { egressRequest } from '../api/egress.js';
import {
  agentRunEvent,
  apiErrorBody,
  commandResult,
  commandStreamEvent,
  directoryListing,
  egressApplied,
  fileEntry,
  healthReport,
  openApiDocument,
  poolState,
  workspacePage,
  workspaceView,
} from '../api/responses.js';
import { createWorkspaceRequest, keepaliveRequest } from '../api/workspaces.js';

/**
 * The schemas the OpenAPI document names (`#/components/schemas/<name>`), by name. Requests are described as
 * clients send them (zod's input side), answers as the server writes them (its output side).
 */
export const REQUEST_COMPONENTS = {
  CreateWorkspaceRequest: createWorkspaceRequest,
  KeepaliveRequest: keepaliveRequest,
  CommandRequest: commandRequest,
  AgentRunRequest: agentRunRequest,
  EgressRequest: egressRequest,
};

export const RESPONSE_COMPONENTS = {
  Workspace: workspaceView,
  WorkspacePage: workspacePage,
  CommandResult: commandResult,
  CommandStreamEvent: commandStreamEvent,
  AgentRunEvent: agentRunEvent,
  FileEntry: fileEntry,
  DirectoryListing: directoryListing,
  EgressApplied: egressApplied,
  HealthReport: healthReport,
  PoolState: poolState,
  OpenApiDocument: openApiDocument,
  ApiError: apiErrorBody,
};
