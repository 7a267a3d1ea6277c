import { streamAgentRun, agentRunRequest } from '@berth/core';
import { tenantOf } from '../http/api-event.js';
import { jsonBody } from '../http/json-body.js';
import { sse } from '../http/responses.js';
import type { Route } from '../http/route.js';

/**
 * Agent runs: always an SSE stream (whatever `Accept` says), relayed from the workspace's agent. A client
 * going away destroys the stream, which ends the run in the workspace (see relaySse).
 */
export const agentRunRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/execute',
    streams: true,
    async handle({ event, deps, params }) {
      const input = jsonBody(event, agentRunRequest);
      const stream = await streamAgentRun(deps, tenantOf(event), params.id!, input);
      return sse(stream.body);
    },
  },
];
