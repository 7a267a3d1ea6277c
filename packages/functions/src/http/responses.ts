import type { Readable } from 'node:stream';
import type { ErrorCode } from '@berth/core';

/** A handler's answer. `body` may be a stream (SSE) when the handler runs with response streaming. */
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

export const bytes = (body: Buffer, headers: Record<string, string> = {}): ApiResponse => ({
  statusCode: 200,
  headers: { 'content-type': 'application/octet-stream', ...headers },
  body: body.toString('base64'),
  isBase64Encoded: true,
});

export const sse = (stream: Readable): ApiResponse => ({
  statusCode: 200,
  headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
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
