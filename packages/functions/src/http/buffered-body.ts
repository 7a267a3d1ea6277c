import type { Readable } from 'node:stream';
import { ApiError, readAll } from '@berth/core';
import { BodyTooLarge } from '@berth/protocol';
import type { ApiResponse } from './responses.js';

/**
 * What a buffered deployment (API Gateway REST API → Lambda proxy: 6 MB response payload) can answer. Bytes
 * go out base64-encoded (4/3 larger), so they get less room than text.
 */
export const BUFFERED_BODY_LIMITS = {
  bytes: 4 * 1024 * 1024,
  text: 5 * 1024 * 1024,
} as const;

const useStreaming = 'use the streaming endpoint (response streaming), which has no size limit';

/**
 * Collects a streamed body for a deployment that sends whole responses, never past its limit: a bigger
 * answer is a clear 413 (API.md's shape), and the stream is ended rather than read on.
 */
export async function bufferBody(response: ApiResponse & { body: Readable }): Promise<ApiResponse> {
  const binary = response.isBase64Encoded === true;
  const limit = binary ? BUFFERED_BODY_LIMITS.bytes : BUFFERED_BODY_LIMITS.text;
  const declared = Number(response.headers['content-length'] ?? NaN);
  if (declared > limit) {
    response.body.destroy();
    throw tooLarge(
      `the answer is ${declared} bytes, over the ${limit} this endpoint can send; ${useStreaming}`,
    );
  }
  let body: Buffer;
  try {
    body = await readAll(response.body, limit);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    throw tooLarge(`the answer is over the ${limit} bytes this endpoint can send; ${useStreaming}`);
  }
  const headers = { ...response.headers };
  delete headers['content-length']; // the platform sets the length of what it sends (base64 decoded)
  return { ...response, headers, body: body.toString(binary ? 'base64' : 'utf8') };
}

const tooLarge = (message: string) => new ApiError('payload_too_large', message);
