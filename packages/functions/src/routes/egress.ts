import { egressRequest, updateEgress } from '@berth/core';
import { tenantOf } from '../http/api-event.js';
import { jsonBody } from '../http/json-body.js';
import { json } from '../http/responses.js';
import type { Route } from '../http/route.js';

/** A workspace's egress rules, pushed to its proxy (API.md `PUT /v1/workspaces/{id}/egress`). */
export const egressRoutes: Route[] = [
  {
    method: 'PUT',
    path: '/v1/workspaces/{id}/egress',
    async handle({ event, deps, params }) {
      const rules = jsonBody(event, egressRequest);
      return json(200, await updateEgress(deps, tenantOf(event), params.id!, rules));
    },
  },
];
