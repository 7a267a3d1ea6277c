import * as z from 'zod/mini';
import { agentRunRequest } from './agent-runs.js';
import { commandRequest } from './commands.js';
import { egressRequest } from './egress.js';
import { createDownloadRequest, createUploadRequest } from './file-transfers.js';
import {
  agentRunEvent,
  COMMAND_BINARY_HEADERS,
  commandResult,
  commandStreamEvent,
  directoryListing,
  egressApplied,
  fileDownload,
  fileUpload,
  healthReport,
  openApiDocument,
  poolState,
  workspacePage,
  workspaceView,
} from './responses.js';
import { createWorkspaceRequest, keepaliveRequest, listWorkspacesQuery } from './workspaces.js';

/**
 * The public HTTP API (API.md) as data: one entry per operation, keyed by its operationId. The OpenAPI document
 * is generated from this table, the contract tests hold every answer to that document, and the server's route
 * table binds one handler to each entry.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HeaderSpec {
  description: string;
  schema: z.ZodMiniType;
}

/** One answer of an operation. A status may have several bodies, chosen by `Accept` (exec: JSON or SSE). */
export interface ResponseSpec {
  description: string;
  /** An `application/json` body. */
  json?: z.ZodMiniType;
  /** A `text/event-stream` body; the schema is one event as decoded: `{event, data}` (data is JSON). */
  events?: z.ZodMiniType;
  /** An `application/octet-stream` body (raw bytes, streamed). */
  bytes?: true;
  headers?: Readonly<Record<string, HeaderSpec>>;
}

export type RequestBodySpec =
  | { json: z.ZodMiniType }
  /** Raw bytes, any content type: the value says what they are. */
  | { bytes: string };

/** An error status an operation may answer, always with the API's error body (`apiErrorBody`). */
export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

export interface ApiOperation {
  method: HttpMethod;
  /** API.md's style: `{name}` is one path segment (PATH_PARAMETERS describes each name). */
  path: string;
  summary: string;
  /** False for the few operations that answer without an API key. */
  auth: boolean;
  /** The query parameters: the fields of this object schema, strings in. */
  query?: z.ZodMiniObject;
  body?: RequestBodySpec;
  /** The answers that are not errors, by status. */
  responses: Readonly<Record<number, ResponseSpec>>;
  /** Every error status it may answer: 401 with a key to check, 413 and 500 everywhere, and its own. */
  errors: readonly ErrorStatus[];
}

/** The path parameters of every operation. */
export const PATH_PARAMETERS = {
  id: 'The workspace id (opaque; another tenant’s answers 404).',
  uploadId:
    'The id `POST /v1/workspaces/{id}/files/uploads` answered (an unknown or completed one answers 404).',
} as const;

/** `?path=` of the file routes: relative to /workspace, or absolute under it. */
export const filePathQuery = z.object({ path: z.string() });

/** Fills in the error statuses every operation shares (the body limit and the key check run before routing). */
function operation(spec: Omit<ApiOperation, 'errors'> & { errors?: readonly ErrorStatus[] }): ApiOperation {
  const shared: ErrorStatus[] = spec.auth ? [401, 413, 500] : [413, 500];
  const errors = [...new Set([...(spec.errors ?? []), ...shared])].sort((a, b) => a - b);
  return { ...spec, errors };
}

const workspace = (description: string): ResponseSpec => ({ description, json: workspaceView });
/** What every operation on one workspace may refuse: a bad id encoding, an unknown (or other tenant's) id. */
const ON_WORKSPACE: ErrorStatus[] = [400, 404, 503];
/** ... and, when it reaches the workspace agent: the wrong state, a body it refuses, an answer too large. */
const ON_AGENT: ErrorStatus[] = [...ON_WORKSPACE, 409, 422];

export const API_OPERATIONS = {
  getHealth: operation({
    method: 'GET',
    path: '/health',
    summary: 'Health of the control plane and its dependencies',
    auth: false,
    responses: {
      200: { description: 'Every dependency answered within a second.', json: healthReport },
      503: { description: 'Some dependency did not answer: `degraded`.', json: healthReport },
    },
  }),
  getOpenApiDocument: operation({
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'This document: the OpenAPI 3.1 description of the API',
    auth: false,
    responses: { 200: { description: 'The OpenAPI document.', json: openApiDocument } },
  }),
  getPool: operation({
    method: 'GET',
    path: '/v1/pool',
    summary: 'The warm pool of each template',
    auth: true,
    responses: { 200: { description: 'One entry per template.', json: poolState } },
  }),
  createWorkspace: operation({
    method: 'POST',
    path: '/v1/workspaces',
    summary: "Get the conversation's live workspace, or create one",
    auth: true,
    body: { json: createWorkspaceRequest },
    responses: {
      201: workspace('A new workspace: ready (with `wait`, the default) or `provisioning` (`wait: false`).'),
      200: workspace('The live workspace this conversation already has.'),
    },
    errors: [400, 409, 415, 422, 429, 503],
  }),
  listWorkspaces: operation({
    method: 'GET',
    path: '/v1/workspaces',
    summary: "The tenant's workspaces, a page at a time",
    auth: true,
    query: listWorkspacesQuery,
    responses: { 200: { description: 'One page.', json: workspacePage } },
    errors: [400, 503],
  }),
  getWorkspace: operation({
    method: 'GET',
    path: '/v1/workspaces/{id}',
    summary: 'One workspace',
    auth: true,
    responses: { 200: workspace('The workspace.') },
    errors: ON_WORKSPACE,
  }),
  deleteWorkspace: operation({
    method: 'DELETE',
    path: '/v1/workspaces/{id}',
    summary: 'Stop a workspace (its files are synced first)',
    auth: true,
    responses: {
      202: workspace('Stopping.'),
      200: workspace('It had already ended.'),
    },
    errors: [...ON_WORKSPACE, 409],
  }),
  keepaliveWorkspace: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/keepalive',
    summary: "Extend a workspace's lease",
    auth: true,
    body: { json: keepaliveRequest },
    responses: { 200: workspace('The workspace with its new `expiresAt`.') },
    errors: [...ON_WORKSPACE, 409, 415],
  }),
  pauseWorkspace: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/pause',
    summary: "Pause a ready workspace's container",
    auth: true,
    responses: { 200: workspace('Paused.') },
    errors: [...ON_WORKSPACE, 409],
  }),
  resumeWorkspace: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/resume',
    summary: 'Resume a paused workspace',
    auth: true,
    responses: {
      200: workspace(
        'Ready again; on ECS a hibernated workspace takes the task of a warm pool member (or starts one) and may answer `provisioning` until its files are restored.',
      ),
    },
    errors: [...ON_WORKSPACE, 409],
  }),
  runCommand: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/exec',
    summary: 'Run a command (argv, no shell) and answer its result, or stream its output',
    auth: true,
    body: { json: commandRequest },
    responses: {
      200: {
        description:
          'The result; with `Accept: text/event-stream`, `stdout` and `stderr` events then one `exit` event.',
        json: commandResult,
        events: commandStreamEvent,
      },
    },
    errors: [...ON_AGENT, 415],
  }),
  runCommandBinary: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/exec/binary',
    summary: "Run a command and answer its stdout's bytes",
    auth: true,
    body: { json: commandRequest },
    responses: {
      200: {
        description: 'stdout, raw; the exit status in headers.',
        bytes: true,
        headers: COMMAND_BINARY_HEADERS,
      },
    },
    errors: [...ON_AGENT, 415],
  }),
  readFile: operation({
    method: 'GET',
    path: '/v1/workspaces/{id}/files',
    summary: 'Read a file (its bytes) or list a directory',
    auth: true,
    query: filePathQuery,
    responses: {
      200: { description: "A file's bytes, or a directory's entries.", bytes: true, json: directoryListing },
    },
    errors: ON_AGENT,
  }),
  writeFile: operation({
    method: 'PUT',
    path: '/v1/workspaces/{id}/files',
    summary: 'Write a file (parents are created)',
    auth: true,
    query: filePathQuery,
    body: { bytes: 'The file’s content, at most 6 MiB.' },
    responses: { 204: { description: 'Written.' } },
    errors: ON_AGENT,
  }),
  deleteFile: operation({
    method: 'DELETE',
    path: '/v1/workspaces/{id}/files',
    summary: 'Delete a file or directory',
    auth: true,
    query: filePathQuery,
    responses: { 204: { description: 'Deleted.' } },
    errors: ON_AGENT,
  }),
  createFileUpload: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/files/uploads',
    summary: 'Get a presigned URL to upload a large file (any size up to 5 GiB)',
    auth: true,
    body: { json: createUploadRequest },
    responses: {
      201: {
        description: 'PUT exactly `size` bytes to `url`, then complete the upload.',
        json: fileUpload,
      },
    },
    errors: [...ON_AGENT, 415],
  }),
  completeFileUpload: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/files/uploads/{uploadId}/complete',
    summary: 'Move an uploaded file into the workspace',
    auth: true,
    responses: { 204: { description: 'Written (parents are created).' } },
    errors: ON_AGENT,
  }),
  createFileDownload: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/files/downloads',
    summary: 'Get a presigned URL to download a large file',
    auth: true,
    body: { json: createDownloadRequest },
    responses: { 201: { description: 'GET `url` for the file’s bytes.', json: fileDownload } },
    errors: [...ON_AGENT, 415],
  }),
  startAgentRun: operation({
    method: 'POST',
    path: '/v1/workspaces/{id}/execute',
    summary: 'Run Claude in the workspace and stream its messages',
    auth: true,
    body: { json: agentRunRequest },
    responses: {
      200: {
        description:
          '`message` events, `files_changed` after tools that changed files, then `result` or `error`.',
        events: agentRunEvent,
      },
    },
    errors: [...ON_AGENT, 415],
  }),
  updateEgress: operation({
    method: 'PUT',
    path: '/v1/workspaces/{id}/egress',
    summary: "Replace the workspace's egress allowlist and/or header rules",
    auth: true,
    body: { json: egressRequest },
    responses: { 200: { description: 'The proxy took the rules.', json: egressApplied } },
    errors: [...ON_AGENT, 415],
  }),
} satisfies Record<string, ApiOperation>;

export type OperationId = keyof typeof API_OPERATIONS;

/** Whether an answer of the operation is a stream (SSE or bytes): a buffered deployment must collect it. */
export const answersStream = (op: ApiOperation): boolean =>
  Object.values(op.responses).some((r) => r.events !== undefined || r.bytes === true);

/** The table as a list, in API.md's order. */
export const apiOperationList = (): (ApiOperation & { operationId: OperationId })[] =>
  Object.entries(API_OPERATIONS).map(([operationId, op]) => ({
    ...op,
    operationId: operationId as OperationId,
  }));
