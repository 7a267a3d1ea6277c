import { brotliDecompressSync } from 'node:zlib';
import type { Route } from '../http/route.js';
import { OPENAPI_DOCUMENT_BROTLI } from './openapi-document.js';

/** The document as sent, decompressed on first use (once per cold start). */
let document: string | undefined;
const documentJson = () =>
  (document ??= brotliDecompressSync(Buffer.from(OPENAPI_DOCUMENT_BROTLI, 'base64')).toString('utf8'));

/**
 * `GET /v1/openapi.json` (no key): the OpenAPI document generated from @berth/protocol's route table. The
 * generator (scripts/generate-openapi.mjs) also writes it compressed next to this route, so the bundle carries
 * ~5 KB of it (not ~25 KB of JSON) and none of the code that generates it.
 */
export const openapiRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/openapi.json',
    auth: false,
    async handle() {
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: documentJson() };
    },
  },
];
