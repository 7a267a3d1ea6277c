import type { Logger } from '@aws-lambda-powertools/logger';
import type { AppDeps } from '../app-deps.js';
import type { ApiEvent } from './api-event.js';
import type { ApiResponse } from './responses.js';

/** What a route's handler gets: the request, the ports, the decoded path parameters, the request's logger. */
export interface RouteContext {
  event: ApiEvent;
  deps: AppDeps;
  /** `{id}` of `/v1/workspaces/{id}`, percent-decoded. */
  params: Record<string, string>;
  logger: Logger;
}

/** One row of the route table (routes/api-routes.ts): it reads like API.md. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/v1/workspaces/{id}/exec` style (middy http-router's syntax): `{name}` matches one path segment. */
  path: string;
  /** False for the few routes that answer without an API key. */
  auth?: boolean;
  /**
   * The answer is a stream whatever the request asks (agent-run SSE, file and binary-output bytes): served by
   * the streaming deployment (API Gateway's STREAM mode in the cloud, the local host's streaming handler),
   * where any size flows in bounded memory. Any route asked for `text/event-stream` streams too.
   */
  streams?: boolean;
  handle(ctx: RouteContext): Promise<ApiResponse>;
}
