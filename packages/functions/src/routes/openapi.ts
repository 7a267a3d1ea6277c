import { brotliDecompressSync } from 'node:zlib';
import type { ApiResponse } from '../http/responses.js';
import type { Route } from '../http/route.js';
import { OPENAPI_DOCUMENT_BROTLI } from './openapi-document.js';

let document: string | undefined;

/**
 * The OpenAPI document generated from @berth/protocol's route table, as sent. The generator
 * (scripts/generate-openapi.mjs) also writes it compressed next to this file, so the code carries ~5 KB of it
 * (not ~45 KB of JSON) and none of the code that generates it; decompressed once, on first use.
 */
export function openapiResponse(): ApiResponse {
  document ??= brotliDecompressSync(Buffer.from(OPENAPI_DOCUMENT_BROTLI, 'base64')).toString('utf8');
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: document };
}

/**
 * `GET /v1/openapi.json` (no key) on the local host. Deployed, its own small function answers it
 * (lambda/api-openapi.ts), so neither API function carries the document.
 */
export const openapiRoutes: Route[] = [
  { method: 'GET', path: '/v1/openapi.json', auth: false, handle: async () => openapiResponse() },
];
