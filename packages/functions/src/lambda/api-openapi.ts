import { openapiResponse } from '../routes/openapi.js';

/** No ports: the document is in the code. */
export const wiring = {};

/**
 * `GET /v1/openapi.json` on the deployed REST API (no key, no authorizer): the document and nothing else, so
 * the API functions do not carry it. A static answer needs no middleware: nothing to log or count per request
 * beyond API Gateway's own metrics and access log.
 */
export const handler = async () => openapiResponse();
