import { deleteWorkspaceFile, readWorkspaceFile, writeWorkspaceFile } from '@berth/core';
import { bodyBytes, tenantOf, type ApiEvent } from '../http/api-event.js';
import { byteStream, json, noContent } from '../http/responses.js';
import type { Route } from '../http/route.js';

const pathParam = (event: ApiEvent) => event.queryStringParameters?.path;

/** Reading workspace files: raw bytes out (streamed, never held whole), directories as JSON listings. */
export const fileReadRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/workspaces/{id}/files',
    streams: true,
    async handle({ event, deps, params }) {
      const r = await readWorkspaceFile(deps, tenantOf(event), params.id!, pathParam(event));
      return r.kind === 'file' ? byteStream(r.body, r.size) : json(200, { entries: r.entries });
    },
  },
];

/** Writing workspace files: raw bytes in (API Gateway's payload limit; larger files take the transfer routes). */
export const fileWriteRoutes: Route[] = [
  {
    method: 'PUT',
    path: '/v1/workspaces/{id}/files',
    async handle({ event, deps, params }) {
      await writeWorkspaceFile(deps, tenantOf(event), params.id!, pathParam(event), bodyBytes(event));
      return noContent();
    },
  },
  {
    method: 'DELETE',
    path: '/v1/workspaces/{id}/files',
    async handle({ event, deps, params }) {
      await deleteWorkspaceFile(deps, tenantOf(event), params.id!, pathParam(event));
      return noContent();
    },
  },
];
