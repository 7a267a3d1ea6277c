import { createDownloadRequest, createUploadRequest } from '@berth/core';
import { tenantOf } from '../http/api-event.js';
import { jsonBody } from '../http/json-body.js';
import { json, noContent } from '../http/responses.js';
import type { Route } from '../http/route.js';

/**
 * The transfer service (and its tar writer), loaded on the first transfer request: a deployed bundle keeps it in
 * its own chunk, out of every cold start of the API (docs/lambda-router.md).
 */
const transfers = () => import('@berth/core/file-transfers');

/** Large files through presigned URLs (API.md "Large files"): the bytes never pass through the API. */
export const fileTransferRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/files/uploads',
    async handle({ event, deps, params }) {
      const req = jsonBody(event, createUploadRequest);
      const { createFileUpload } = await transfers();
      return json(201, await createFileUpload(deps, tenantOf(event), params.id!, req));
    },
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/files/uploads/{uploadId}/complete',
    async handle({ event, deps, params }) {
      const { completeFileUpload } = await transfers();
      await completeFileUpload(deps, tenantOf(event), params.id!, params.uploadId!);
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/files/downloads',
    async handle({ event, deps, params }) {
      const req = jsonBody(event, createDownloadRequest);
      const { createFileDownload } = await transfers();
      return json(201, await createFileDownload(deps, tenantOf(event), params.id!, req));
    },
  },
];
