import * as z from 'zod/mini';
import { ERROR_STATUS } from '../api/errors.js';
import {
  apiOperationList,
  PATH_PARAMETERS,
  type ApiOperation,
  type ErrorStatus,
  type ResponseSpec,
} from '../api/routes.js';
import { REQUEST_COMPONENTS, RESPONSE_COMPONENTS } from './components.js';

/**
 * The OpenAPI 3.1 document of the public API, generated from the route table (../api/routes.ts) and the
 * protocol's zod schemas, never written by hand. `node scripts/generate-openapi.mjs` writes it to
 * packages/protocol/openapi.json, which the API serves at `GET /v1/openapi.json`.
 */

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

const SCHEMA_REF = '#/components/schemas/';
const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Field descriptions live in zod's global registry (`z.describe`); a registry conversion reads only its own.
 * What only repeats the obvious goes: `format: date-time` says what zod's long ISO pattern says, and integers
 * need no safe-integer bounds (the document is in every API bundle, so its size counts).
 */
const tidy = ({ zodSchema, jsonSchema }: { zodSchema: unknown; jsonSchema: Json }) => {
  const description = z.globalRegistry.get(zodSchema as z.ZodMiniType)?.description;
  if (description !== undefined) jsonSchema.description = description;
  if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
};

const conversion = (io: Io) => ({
  target: 'draft-2020-12' as const,
  io,
  // Refinements and transforms have no JSON Schema; the document shows the shape, the server the rules.
  unrepresentable: 'any' as const,
  override: tidy,
});

/** A component is a schema object of the document: no `$schema`/`$id` of its own (the dialect is global). */
const bare = ({ $schema: _s, $id: _i, ...rest }: Json): Json => rest;

function components(named: Record<string, z.ZodMiniType>, io: Io): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { ...conversion(io), uri: (id) => `${SCHEMA_REF}${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, bare(s as Json)]));
}

/** A `$ref` to the schema's component, or the schema inline when it has no name. */
function schemaOf(schema: z.ZodMiniType, io: Io): Json {
  const named = io === 'input' ? REQUEST_COMPONENTS : RESPONSE_COMPONENTS;
  const name = Object.entries(named).find(([, s]) => s === schema)?.[0];
  if (name) return { $ref: `${SCHEMA_REF}${name}` };
  return bare(z.toJSONSchema(schema, conversion(io)) as Json);
}

function parameters(op: ApiOperation): Json[] {
  const inPath = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
    const description = PATH_PARAMETERS[name as keyof typeof PATH_PARAMETERS];
    if (!description) throw new Error(`${op.path}: path parameter {${name}} is not in PATH_PARAMETERS`);
    return { name, in: 'path', required: true, description, schema: { type: 'string' } };
  });
  if (!op.query) return inPath;
  const query = schemaOf(op.query, 'input') as { properties: Record<string, Json>; required?: string[] };
  const inQuery = Object.entries(query.properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: query.required?.includes(name) ?? false,
    schema,
  }));
  return [...inPath, ...inQuery];
}

function requestBody(op: ApiOperation): Json | undefined {
  if (!op.body) return undefined;
  if ('bytes' in op.body) {
    return { required: true, description: op.body.bytes, content: { 'application/octet-stream': {} } };
  }
  // An empty body counts as `{}`.
  return { required: false, content: { 'application/json': { schema: schemaOf(op.body.json, 'input') } } };
}

function response(spec: ResponseSpec): Json {
  const content: Json = {};
  if (spec.json) content['application/json'] = { schema: schemaOf(spec.json, 'output') };
  if (spec.events) {
    content['text/event-stream'] = {
      schema: { type: 'string', description: 'Server-sent events; `x-sse-event` is one event, decoded.' },
      'x-sse-event': schemaOf(spec.events, 'output'),
    };
  }
  if (spec.bytes) content['application/octet-stream'] = {};
  const headers = spec.headers
    ? Object.fromEntries(
        Object.entries(spec.headers).map(([name, h]) => [
          name,
          { description: h.description, required: true, schema: schemaOf(h.schema, 'output') },
        ]),
      )
    : undefined;
  return {
    description: spec.description,
    ...(headers && { headers }),
    ...(Object.keys(content).length > 0 && { content }),
  };
}

/** Statuses whose answers may say when to retry. */
const RETRY_AFTER_STATUSES: readonly ErrorStatus[] = [409, 429, 503];

/** One shared response per error status, listing the codes (ERROR_STATUS) it stands for. */
function errorResponses(): Record<string, Json> {
  const codes = new Map<number, string[]>();
  for (const [code, status] of Object.entries(ERROR_STATUS))
    codes.set(status, [...(codes.get(status) ?? []), code]);
  const statuses = [...codes.keys()].sort((a, b) => a - b);
  return Object.fromEntries(
    statuses.map((status) => [
      errorName(status),
      {
        description: `Error: ${codes
          .get(status)!
          .map((c) => `\`${c}\``)
          .join(', ')}.`,
        ...(RETRY_AFTER_STATUSES.includes(status as ErrorStatus) && {
          headers: {
            'retry-after': {
              description: 'Seconds to wait before trying again, when waiting helps.',
              schema: { type: 'string', pattern: '^\\d+$' },
            },
          },
        }),
        content: { 'application/json': { schema: { $ref: `${SCHEMA_REF}ApiError` } } },
      },
    ]),
  );
}

const errorName = (status: number) => `Error${status}`;

function operationObject(op: ApiOperation & { operationId: string }): Json {
  const params = parameters(op);
  const body = requestBody(op);
  const responses: Json = {};
  for (const [status, spec] of Object.entries(op.responses)) responses[status] = response(spec);
  for (const status of op.errors) {
    // A status the operation answers with its own body (health's 503) is not an error answer.
    responses[String(status)] ??= { $ref: `#/components/responses/${errorName(status)}` };
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(!op.auth && { security: [] }),
    ...(params.length > 0 && { parameters: params }),
    ...(body && { requestBody: body }),
    responses,
  };
}

export function buildOpenApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const op of apiOperationList()) {
    paths[op.path] ??= {};
    paths[op.path]![op.method.toLowerCase()] = operationObject(op);
  }
  return {
    openapi: '3.1.1',
    jsonSchemaDialect: DIALECT,
    info: {
      title: 'Berth API',
      version: '1',
      description:
        'Workspaces for AI agents: one locked-down container per conversation (API.md). Generated from ' +
        '@berth/protocol (packages/protocol/src/api/routes.ts) by scripts/generate-openapi.mjs; do not edit.',
    },
    servers: [
      { url: 'http://127.0.0.1:8787', description: 'Local mode (BERTH_PORT); in the cloud, the API URL.' },
    ],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key; it belongs to one tenant.' },
      },
      schemas: { ...components(REQUEST_COMPONENTS, 'input'), ...components(RESPONSE_COMPONENTS, 'output') },
      responses: errorResponses(),
    },
  };
}
