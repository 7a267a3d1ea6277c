import type { MiddlewareObj } from '@middy/core';
import { ApiError } from '@berth/core';
import type { ApiEvent } from '../http/api-event.js';

/** 413 for bodies over the limit (6 MiB: Lambda's synchronous payload limit), before anything parses them. */
export const bodyLimit = (maxBytes: number): MiddlewareObj<ApiEvent> => ({
  before: async ({ event }) => {
    if (!event.body) return;
    const size = event.isBase64Encoded
      ? Math.floor((event.body.length * 3) / 4)
      : Buffer.byteLength(event.body);
    if (size > maxBytes) {
      throw new ApiError('payload_too_large', `request body is over ${maxBytes} bytes`);
    }
  },
});
