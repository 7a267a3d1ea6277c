import { ApiError, parseRequest, type Parsed, type RequestSchema } from '@berth/core';
import { bodyBytes, header, type ApiEvent } from './api-event.js';

/**
 * The request's JSON body, validated: 415 unless it is `application/json`, 400 `invalid_json` if it does not
 * parse, 400 `invalid_request` naming the field if it does not fit the schema. An empty body counts as `{}`.
 */
export function jsonBody<S extends RequestSchema>(event: ApiEvent, schema: S): Parsed<S> {
  const raw = bodyBytes(event);
  if (raw.length === 0) return parseRequest(schema, {});
  const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError('unsupported_media_type', 'the body must be application/json');
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new ApiError('invalid_json', `malformed JSON: ${(e as Error).message}`);
  }
  return parseRequest(schema, value);
}
