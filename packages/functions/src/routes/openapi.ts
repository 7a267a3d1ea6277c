import { brotliDecompressSync } from 'node:zlib';
import type { Route } from '../http/route.js';

/**
 * The document as sent, loaded and decompressed on first use (once per cold start). Loaded with import() so
 * the deployed bundle keeps it in its own chunk: the API's cold start does not load it.
 */
let document: Promise<string> | undefined;
const documentJson = () =>
  (document ??= import('./openapi-document.js').then(({ OPENAPI_DOCUMENT_BROTLI }) =>
    brotliDecompressSync(Buffer.from(OPENAPI_DOCUMENT_BROTLI, 'base64')).toString('utf8'),
  ));

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
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: await documentJson() };
    },
  },
];
