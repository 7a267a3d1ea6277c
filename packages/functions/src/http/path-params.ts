import { ApiError } from '@berth/core';
import type { ApiEvent } from './api-event.js';

/**
 * The path parameters the router matched, percent-decoded. A malformed encoding is the client's mistake
 * (400), not a URIError (500).
 */
export function pathParams(event: ApiEvent): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(event.pathParameters ?? {})) {
    try {
      params[name] = decodeURIComponent(raw ?? '');
    } catch {
      throw new ApiError('invalid_request', 'malformed percent-encoding in the path');
    }
  }
  return params;
}
