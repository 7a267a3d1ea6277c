import { checkHealth, poolReport } from '@berth/core';
import { json } from '../http/responses.js';
import type { Route } from '../http/route.js';

/** Service-level routes: health (no key) and the warm pool's state. */
export const serviceRoutes: Route[] = [
  {
    method: 'GET',
    path: '/health',
    auth: false,
    async handle({ deps }) {
      const report = await checkHealth(deps);
      return json(report.status === 'ok' ? 200 : 503, report);
    },
  },
  {
    method: 'GET',
    path: '/v1/pool',
    async handle({ deps }) {
      return json(200, await poolReport(deps));
    },
  },
];
