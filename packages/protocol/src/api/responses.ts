import * as z from 'zod/mini';
import type {
  ChangesResponse,
  DirectoryListing,
  CommandResult,
  CommandStreamEvent,
  AgentRunEvent,
  FileEntry,
} from '../workspace-agent/api.js';
import { ERROR_STATUS, type ApiErrorBody, type ErrorCode } from './errors.js';
import type {
  EgressApplied,
  FileDownload,
  FileUpload,
  HealthReport,
  PoolState,
  WorkspaceViewPage,
  WorkspaceView,
} from './response-types.js';
import { WORKSPACE_STATUSES } from './workspaces.js';

/**
 * Schemas of what the public API answers (API.md): the OpenAPI document is generated from them and the contract
 * tests hold every answer to it. Each is checked at compile time against its plain type (response-types.ts,
 * ../workspace-agent/api.ts), which is what clients import.
 */

const described = <T extends z.ZodMiniType>(schema: T, description: string): T =>
  schema.check(z.describe(description)) as T;

/** `Date.toISOString()`: what the API prints for every time. */
const isoTime = z.iso.datetime();

// ---- workspaces --------------------------------------------------------------------------------------

export const workspaceView = z.strictObject({
  id: described(z.string(), 'Opaque; `ws_` then random characters.'),
  conversationId: z.string(),
  status: z.enum(WORKSPACE_STATUSES),
  template: z.string(),
  labels: z.record(z.string(), z.string()),
  createdAt: isoTime,
  readyAt: z.nullable(isoTime),
  expiresAt: described(isoTime, 'Lease end; keepalive and activity move it.'),
  lastActiveAt: isoTime,
  terminationReason: described(
    z.nullable(z.string()),
    'Why it ended: deleted, expired, idle, oom, crashed, orphan, task_stopped:<why> or provision_failed:<why>.',
  ),
  runtime: z.enum(['docker', 'ecs']),
  fromPool: z.boolean(),
});

export const workspacePage = z.strictObject({
  items: z.array(workspaceView),
  nextCursor: described(z.nullable(z.string()), 'Pass as `cursor` for the next page; null on the last.'),
});

// ---- commands (run a process) ------------------------------------------------------------------------

export const commandResult = z.strictObject({
  exitCode: described(z.nullable(z.int()), 'null when a signal ended the process; 127: not found.'),
  signal: z.nullable(z.string()),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number(),
  timedOut: z.boolean(),
  truncated: described(z.boolean(), 'Output past the per-stream cap was dropped.'),
});

export const commandExitEventData = z.strictObject({
  exitCode: z.nullable(z.int()),
  signal: z.nullable(z.string()),
  durationMs: z.number(),
  timedOut: z.boolean(),
  truncated: z.boolean(),
});

/** One SSE event of a streamed command; `data:` is JSON (a string for output chunks). */
export const commandStreamEvent = z.discriminatedUnion('event', [
  z.strictObject({ event: z.literal('stdout'), data: z.string() }),
  z.strictObject({ event: z.literal('stderr'), data: z.string() }),
  z.strictObject({ event: z.literal('exit'), data: commandExitEventData }),
]);

/** Response headers of `POST /v1/workspaces/{id}/exec/binary` (the body is stdout's bytes). */
export const COMMAND_BINARY_HEADERS = {
  'x-exit-code': {
    description: 'Decimal exit code; -1 when a signal ended the process.',
    schema: z.string().check(z.regex(/^-?\d+$/)),
  },
  'x-timed-out': { description: '`true` or `false`.', schema: z.enum(['true', 'false']) },
  'x-duration-ms': { description: 'How long the command ran.', schema: z.string().check(z.regex(/^\d+$/)) },
} as const;

// ---- agent runs (run Claude) -------------------------------------------------------------------------

const sdkMessage = described(
  z.record(z.string(), z.unknown()),
  'A message of the Claude Agent SDK, as the SDK shapes it (`type`, `subtype`, `session_id`, ...).',
);

/** One SSE event of an agent run: the SDK's messages, files touched, then `result` or `error`. */
export const agentRunEvent = z.discriminatedUnion('event', [
  z.strictObject({ event: z.literal('message'), data: sdkMessage }),
  z.strictObject({
    event: z.literal('files_changed'),
    data: z.strictObject({ changed: z.array(z.string()), deleted: z.array(z.string()) }),
  }),
  z.strictObject({ event: z.literal('result'), data: sdkMessage }),
  z.strictObject({
    event: z.literal('error'),
    data: z.strictObject({ code: z.enum(['agent_error', 'aborted']), message: z.string() }),
  }),
]);

// ---- files -------------------------------------------------------------------------------------------

export const fileEntry = z.strictObject({
  name: z.string(),
  type: described(z.enum(['file', 'dir', 'symlink', 'other']), 'Symlinks are not followed.'),
  size: z.number(),
  mtime: isoTime,
});

export const directoryListing = z.strictObject({ entries: z.array(fileEntry) });

/** The workspace agent's changes feed (`GET /files/changes?since=`), read by the control plane. */
export const changesResponse = z.strictObject({
  cursor: z.string(),
  changed: z.array(z.string()),
  deleted: z.array(z.string()),
  deletedKnown: z.boolean(),
});

// ---- large files (presigned transfers, ./file-transfers.ts) -------------------------------------------

const transferFields = {
  url: described(z.string(), 'The presigned URL: no Authorization header, it carries its own signature.'),
  headers: described(
    z.record(z.string(), z.string()),
    'Headers the request must carry besides Host and Content-Length (usually none).',
  ),
  expiresAt: described(isoTime, 'When the URL stops working.'),
};

export const fileUpload = z.strictObject({
  uploadId: z.string(),
  method: z.literal('PUT'),
  ...transferFields,
  size: described(z.number(), 'The size declared: the PUT must send exactly this many bytes.'),
});

export const fileDownload = z.strictObject({
  method: z.literal('GET'),
  ...transferFields,
  size: described(z.number(), "The file's size in bytes."),
});

// ---- egress, service ---------------------------------------------------------------------------------

export const egressApplied = z.strictObject({ applied: z.literal(true) });

const componentStatus = z.enum(['ok', 'error']);

export const healthReport = z.strictObject({
  status: z.enum(['ok', 'degraded']),
  components: z.strictObject({ store: componentStatus, runtime: componentStatus, blobs: componentStatus }),
});

export const poolState = z.strictObject({
  templates: z.array(
    z.strictObject({
      template: z.string(),
      target: z.int(),
      warm: z.int(),
      provisioning: z.int(),
      claims: z.int(),
      misses: z.int(),
    }),
  ),
});

/** `GET /v1/openapi.json`: the document itself (any JSON object here; its own meta-schema says the rest). */
export const openApiDocument = z.record(z.string(), z.unknown());

// ---- errors ------------------------------------------------------------------------------------------

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

export const apiErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    requestId: described(z.string(), 'The request id to quote when reporting a problem.'),
  }),
});

// ---- each schema is exactly its wire type ------------------------------------------------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const _schemasMatchWireTypes: [
  Same<z.infer<typeof workspaceView>, WorkspaceView>,
  Same<z.infer<typeof workspacePage>, WorkspaceViewPage>,
  Same<z.infer<typeof commandResult>, CommandResult>,
  Same<z.infer<typeof commandStreamEvent>, CommandStreamEvent>,
  Same<z.infer<typeof agentRunEvent>, AgentRunEvent>,
  Same<z.infer<typeof fileEntry>, FileEntry>,
  Same<z.infer<typeof directoryListing>, DirectoryListing>,
  Same<z.infer<typeof changesResponse>, ChangesResponse>,
  Same<z.infer<typeof egressApplied>, EgressApplied>,
  Same<z.infer<typeof fileUpload>, FileUpload>,
  Same<z.infer<typeof fileDownload>, FileDownload>,
  Same<z.infer<typeof healthReport>, HealthReport>,
  Same<z.infer<typeof poolState>, PoolState>,
  Same<z.infer<typeof apiErrorBody>, ApiErrorBody>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];
