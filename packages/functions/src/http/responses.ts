import type { Readable } from 'node:stream';
import type { ErrorCode } from '@berth/core';
import { SSE_MEDIA_TYPE } from '@berth/protocol';

/**
 * A handler's answer. `body` may be a stream (SSE, or bytes from the agent): the streaming deployment relays
 * it, the buffered one collects it up to a limit (buffered-body.ts).
 */
export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Readable;
  isBase64Encoded?: boolean;
}

export const json = (
  statusCode: number,
  value: unknown,
  headers: Record<string, string> = {},
): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

export const noContent = (): ApiResponse => ({ statusCode: 204, headers: {}, body: '' });

/**
 * Bytes streamed from the agent (a file, binary stdout), `size` of them, never held whole. Marked
 * `isBase64Encoded`: a buffered deployment collects them (up to a limit) and base64-encodes them; a streaming
 * one writes them raw with their content-length.
 */
export const byteStream = (
  body: Readable,
  size: number,
  headers: Record<string, string> = {},
): ApiResponse => ({
  statusCode: 200,
  headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), ...headers },
  body,
  isBase64Encoded: true,
});

export const sse = (stream: Readable): ApiResponse => ({
  statusCode: 200,
  headers: { 'content-type': SSE_MEDIA_TYPE, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
  body: stream,
});

/** API.md's error shape. Never a stack trace. */
export const errorResponse = (
  statusCode: number,
  code: ErrorCode | string,
  message: string,
  requestId: string,
  retryAfterSeconds?: number,
): ApiResponse =>
  json(
    statusCode,
    { error: { code, message, requestId } },
    retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  );
