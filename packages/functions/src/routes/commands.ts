import { runCommand, runBinaryCommand, streamCommand, commandRequest } from '@berth/core';
import { SSE_MEDIA_TYPE } from '@berth/protocol';
import { header, tenantOf } from '../http/api-event.js';
import { jsonBody } from '../http/json-body.js';
import { byteStream, json, sse } from '../http/responses.js';
import type { Route } from '../http/route.js';

/** Command execution: JSON result, SSE stream (Accept: text/event-stream), or raw stdout bytes. */
export const commandRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/exec',
    async handle({ event, deps, params }) {
      const input = jsonBody(event, commandRequest);
      if ((header(event, 'accept') ?? '').includes(SSE_MEDIA_TYPE)) {
        const stream = await streamCommand(deps, tenantOf(event), params.id!, input);
        return sse(stream.body);
      }
      return json(200, await runCommand(deps, tenantOf(event), params.id!, input));
    },
  },
  {
    method: 'POST',
    path: '/v1/workspaces/{id}/exec/binary',
    streams: true,
    async handle({ event, deps, params }) {
      const r = await runBinaryCommand(deps, tenantOf(event), params.id!, jsonBody(event, commandRequest));
      return byteStream(r.stdout, r.size, {
        'x-exit-code': String(r.exitCode ?? -1),
        'x-timed-out': String(r.timedOut),
        'x-duration-ms': String(r.durationMs),
      });
    },
  },
];
