/**
 * What the public API answers (API.md), as plain types with no zod in them: the SDK bundles these and installs
 * with zero dependencies. The schemas in responses.ts are checked against them at compile time, and the
 * OpenAPI document is generated from those schemas, so the three cannot drift apart.
 *
 * Answers the control plane relays from the workspace agent unchanged (a command's result, a directory listing,
 * the events of a command or agent run) are the agent's types (../workspace-agent/api.ts).
 */
import type { WorkspaceStatus } from './workspace-status.js';

export type RuntimeKind = 'docker' | 'ecs';

/** API.md "Workspace object": no token, no endpoint, ISO-8601 times. */
export interface WorkspaceView {
  id: string;
  conversationId: string;
  status: WorkspaceStatus;
  template: string;
  labels: Record<string, string>;
  createdAt: string;
  readyAt: string | null;
  expiresAt: string;
  lastActiveAt: string;
  /** `deleted`, `expired`, `idle`, `oom`, `crashed`, `orphan`, `task_stopped:<why>`, `provision_failed:<why>`. */
  terminationReason: string | null;
  runtime: RuntimeKind;
  fromPool: boolean;
}

/** `GET /v1/workspaces`: one page; pass `nextCursor` as `cursor` for the next (null on the last). */
export interface WorkspaceViewPage {
  items: WorkspaceView[];
  nextCursor: string | null;
}

export type ComponentStatus = 'ok' | 'error';

/** `GET /health` (no key): 200 when every dependency answers, 503 `degraded` otherwise. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  components: { store: ComponentStatus; runtime: ComponentStatus; blobs: ComponentStatus };
}

/** One template's warm pool; `claims` and `misses` count creates over the server's demand window (15 min by default). */
export interface PoolTemplateState {
  template: string;
  target: number;
  warm: number;
  provisioning: number;
  claims: number;
  misses: number;
}

/** `GET /v1/pool`. */
export interface PoolState {
  templates: PoolTemplateState[];
}

/** `PUT /v1/workspaces/{id}/egress`: the proxy took the rules. */
export interface EgressApplied {
  applied: true;
}

/** Where to move a large file's bytes: a presigned URL of object storage (no API key; it carries its signature). */
interface PresignedTransfer {
  url: string;
  /** Headers the request must carry besides Host and Content-Length (usually none). */
  headers: Record<string, string>;
  /** When the URL stops working (ISO-8601). */
  expiresAt: string;
  size: number;
}

/** `POST /v1/workspaces/{id}/files/uploads`: PUT exactly `size` bytes to `url`, then complete `uploadId`. */
export interface FileUpload extends PresignedTransfer {
  uploadId: string;
  method: 'PUT';
}

/** `POST /v1/workspaces/{id}/files/downloads`: GET the file's `size` bytes from `url`. */
export interface FileDownload extends PresignedTransfer {
  method: 'GET';
}
