import httpRouter from '@middy/http-router';
import type { ApiEvent } from './api-event.js';
import type { Route } from './route.js';

type Dispatch<T> = (event: ApiEvent) => T;

/**
 * middy's http-router over a route table: each route's handler is `handlerOf(route)`, and a method and path no
 * route has is `notFound(method, path)`. Typed here once: middy types results as API Gateway's string
 * bodies, where ours may be streams (and the lookup below answers routes).
 */
export function routeWith<T>(
  routes: readonly Route[],
  handlerOf: (route: Route) => Dispatch<T>,
  notFound: (method: string, path: string) => T,
): Dispatch<T> {
  const dispatch = httpRouter({
    routes: routes.map((route) => ({ method: route.method, path: route.path, handler: handlerOf(route) })),
    notFoundResponse: ({ method, path }: { method: string; path: string }) => notFound(method, path),
  } as unknown as Parameters<typeof httpRouter>[0]);
  return dispatch as unknown as Dispatch<T>;
}

/**
 * Which route of a table a method and path select, matched by the same router the API handler routes with,
 * so a host that must pick a deployment before calling the handler (local-docker's API server) asks the
 * table instead of restating its paths. Synchronous: the router returns what the route's handler returns.
 */
export function routeLookup(routes: readonly Route[]): (method: string, path: string) => Route | undefined {
  const find = routeWith<Route | undefined>(
    routes,
    (route) => () => route,
    () => undefined,
  );
  return (method, path) => find({ version: '2.0', requestContext: { http: { method, path } } } as ApiEvent);
}
