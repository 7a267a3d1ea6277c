import {
  acquireWorkspace,
  createWorkspaceRequest,
  getOwnedWorkspace,
  keepalive,
  keepaliveRequest,
  listWorkspacesQuery,
  listWorkspaces,
  parseRequest,
  pauseWorkspace,
  releaseWorkspace,
  resumeWorkspace,
  toView,
} from '@berth/core';
import { tenantOf } from '../http/api-event.js';
import { jsonBody } from '../http/json-body.js';
import { json } from '../http/responses.js';
import type { Route } from '../http/route.js';

/** Workspace lifecycle routes (API.md). */
export const workspaceRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/workspaces',
    async handle({ event, deps, logger }) {
      const input = jsonBody(event, createWorkspaceRequest);
      logger.appendKeys({ conversationId: input.conversationId });
      const { workspace, created } = await acquireWorkspace(deps, { ...input, tenantId: tenantOf(event) });
      logger.appendKeys({ workspaceId: workspace.id });
      return json(created ? 201 : 200, toView(workspace));
    },
  },
  {
    method: 'GET',
    path: '/v1/workspaces',
    async handle({ event, deps }) {
      const q = parseRequest(listWorkspacesQuery, event.queryStringParameters ?? {});
      const page = await listWorkspaces(deps, { tenantId: tenantOf(event), ...q });
      return json(200, { items: page.items.map(toView), nextCursor: page.nextCursor });
    },
  },
  {
    method: 'GET',
    path: '/v1/workspaces/{id}',
    async handle({ event, deps, params }) {
      return json(200, toView(await getOwnedWorkspace(deps, tenantOf(event), params.id!)));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/workspaces/{id}',
    async handle({ event, deps, params }) {
      const { workspace, accepted } = await releaseWorkspace(deps, tenantOf(event), params.id!);
      return json(accepted ? 202 : 200, toView(workspace));
    },
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/keepalive',
    async handle({ event, deps, params }) {
      const { ttlSeconds } = jsonBody(event, keepaliveRequest);
      return json(200, toView(await keepalive(deps, tenantOf(event), params.id!, ttlSeconds)));
    },
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/pause',
    async handle({ event, deps, params }) {
      return json(200, toView(await pauseWorkspace(deps, tenantOf(event), params.id!)));
    },
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/resume',
    async handle({ event, deps, params }) {
      return json(200, toView(await resumeWorkspace(deps, tenantOf(event), params.id!)));
    },
  },
];
