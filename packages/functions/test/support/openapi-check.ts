import { createRequire } from 'node:module';
import document from '@berth/protocol/openapi.json' with { type: 'json' };

/**
 * Holds an answer of the API to the OpenAPI document (packages/protocol/openapi.json): its operation must list
 * the status, the content type must be one the document gives for it, a JSON body must fit its schema and the
 * documented headers must be there. Streams (SSE) and bytes are checked by content type only. support/app.ts
 * runs it on every answer the contract tests get, so a route that answers what the document does not say fails.
 */

type Json = Record<string, unknown>;

interface AjvValidate {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string }[] | null;
}
interface Ajv {
  addSchema(schema: Json, key: string): void;
  getSchema(ref: string): AjvValidate | undefined;
  compile(schema: Json): AjvValidate;
}

// Ajv's JSON Schema 2020-12 (OpenAPI 3.1's dialect), the copy the OpenAPI validator package depends on.
const fromValidator = createRequire(
  createRequire(import.meta.url).resolve('@seriousme/openapi-schema-validator'),
);
const Ajv2020 = (fromValidator('ajv/dist/2020.js') as { default: new (o: Json) => Ajv }).default;
const addFormats = (fromValidator('ajv-formats') as { default: (ajv: Ajv) => void }).default;

export interface AnswerToCheck {
  method: string;
  /** The request's path as sent (`rawPath`). */
  path: string;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

const DOC_KEY = 'openapi.json';
const pointer = (...steps: string[]) =>
  steps.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');

/** A checker over `doc` (the checked-in document unless a test plants another). */
export function responseChecker(doc: Json = document as Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, DOC_KEY);
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const templates = Object.keys(paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}/?$`),
  }));
  const validators = new Map<string, AjvValidate>();

  /** Validates `value` against the schema at `at` (a JSON pointer into the document). */
  function fits(value: unknown, at: string, what: string) {
    let validate = validators.get(at);
    if (!validate) validators.set(at, (validate = ajv.compile({ $ref: `${DOC_KEY}#${at}` })));
    if (validate(value)) return;
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}`);
    throw new ContractViolation(`${what} does not fit the document: ${problems.slice(0, 5).join('; ')}`);
  }

  /** The response object (and where it is) of a status, following a `$ref` to a shared response. */
  function responseAt(at: string, response: Json): { at: string; response: Json } {
    const ref = response.$ref;
    if (typeof ref !== 'string') return { at, response };
    const steps = ref.slice(2).split('/');
    const target = steps.reduce<Json>((node, step) => node[step] as Json, doc);
    return { at: `/${ref.slice(2)}`, response: target };
  }

  return function check(answer: AnswerToCheck): void {
    const method = answer.method.toLowerCase();
    const what = `${answer.method} ${answer.path} → ${answer.statusCode}`;
    const template = templates.find((t) => t.pattern.test(answer.path))?.template;
    const operation = template ? paths[template]![method] : undefined;
    const type = (answer.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!template || !operation) {
      // No operation: the router's own refusals (unknown path or method, no key, body over the limit).
      if (type !== 'application/json') throw new ContractViolation(`${what}: no operation, and not an error`);
      fits(JSON.parse(answer.body), pointer('components', 'schemas', 'ApiError'), what);
      return;
    }
    const responses = operation.responses as Record<string, Json>;
    const listed = responses[String(answer.statusCode)];
    if (!listed) {
      throw new ContractViolation(
        `${what}: the document lists ${Object.keys(responses).join(', ')} for ${operation.operationId}`,
      );
    }
    const found = responseAt(
      pointer('paths', template, method, 'responses', String(answer.statusCode)),
      listed,
    );
    for (const [name, header] of Object.entries((found.response.headers ?? {}) as Record<string, Json>)) {
      const value = answer.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) throw new ContractViolation(`${what}: header ${name} is missing`);
        continue;
      }
      fits(value, `${found.at}${pointer('headers', name, 'schema')}`, `${what}: header ${name}`);
    }
    const content = found.response.content as Record<string, Json> | undefined;
    if (!content) {
      if (answer.body !== '') throw new ContractViolation(`${what}: the document gives this answer no body`);
      return;
    }
    if (!content[type]) {
      throw new ContractViolation(
        `${what}: content type "${type}", the document has ${Object.keys(content)}`,
      );
    }
    if (type !== 'application/json') return; // SSE, bytes: streams, checked by their type only
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      throw new ContractViolation(`${what}: the body is not JSON`);
    }
    fits(body, `${found.at}${pointer('content', type, 'schema')}`, what);
  };
}

/** The checker over the checked-in document, as every contract test uses it. */
export const checkAgainstOpenApi = responseChecker();
