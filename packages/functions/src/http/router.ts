import { BerthError } from '@berth/core';
import type { AppDeps } from '../app-deps.js';
import { methodOf, pathOf, type ApiEvent } from './api-event.js';
import type { ApiResponse } from './responses.js';

export interface RouteContext {
  event: ApiEvent;
  deps: AppDeps;
  params: Record<string, string>;
}

export interface Route {
  method: string;
  /** `/v1/workspaces/{id}/exec` style; `{name}` matches one path segment. */
  path: string;
  /** False for the few routes that answer without an API key. */
  auth?: boolean;
  handle(ctx: RouteContext): Promise<ApiResponse>;
}

interface Compiled extends Route {
  pattern: RegExp;
  names: string[];
}

/** A tiny method + path router: the route table reads like API.md. */
export class Router {
  private readonly routes: Compiled[];

  constructor(routes: Route[]) {
    this.routes = routes.map((r) => {
      const names: string[] = [];
      const source = r.path.replace(/\{(\w+)\}/g, (_, n: string) => {
        names.push(n);
        return '([^/]+)';
      });
      return { ...r, pattern: new RegExp(`^${source}/?$`), names };
    });
  }

  /** The route for a request: 404 for an unknown path, 405 (as 404-shaped `not_found`) for a wrong method. */
  match(event: ApiEvent): { route: Route; params: Record<string, string> } {
    const path = pathOf(event);
    const method = methodOf(event);
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeSegment(m[i + 1] ?? '')));
      return { route: r, params };
    }
    throw new BerthError(
      'not_found',
      pathMatched ? `${method} is not supported on ${path}` : `no route for ${path}`,
    );
  }
}

/** A path segment's value; a malformed percent-encoding is the client's mistake (400), not a URIError (500). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BerthError('invalid_request', 'malformed percent-encoding in the path');
  }
}
