import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import checkedIn from '../openapi.json' with { type: 'json' };
import { API_OPERATIONS, apiOperationList } from '../src/api/routes.js';
import { buildOpenApiDocument } from '../src/openapi/generate.js';

const validate = (doc: Record<string, unknown>) => new Validator().validate(doc);

describe('the OpenAPI document', () => {
  it('is checked in as generated', () => {
    expect(
      checkedIn,
      'packages/protocol/openapi.json is not what the protocol generates: run `node scripts/generate-openapi.mjs`',
    ).toEqual(buildOpenApiDocument());
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(await validate(checkedIn)).toEqual({ valid: true });
  });

  it('the validator refuses a broken one', async () => {
    const broken = structuredClone(checkedIn) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    delete broken.paths['/v1/pool'].get.responses['200'].description; // every response must say what it is
    broken.paths['/v1/workspaces/{id}'].get.parameters[0].in = 'body'; // not a parameter location in 3.1
    const result = await validate(broken);
    expect(result.valid).toBe(false);
    const messages = JSON.stringify(result.errors);
    expect(messages).toContain('description');
    expect(messages).toContain('/paths/~1v1~1workspaces~1{id}/get/parameters/0');
  });

  it('has every operation of the route table, each once', () => {
    const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, { operationId: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${op.operationId} ${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(
      apiOperationList()
        .map((op) => `${op.operationId} ${op.method} ${op.path}`)
        .sort(),
    );
    expect(new Set(apiOperationList().map((op) => `${op.method} ${op.path}`)).size).toBe(
      Object.keys(API_OPERATIONS).length,
    );
  });

  it('names every response body and error as a component, and each $ref resolves', () => {
    const doc = buildOpenApiDocument();
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      const steps = ref.slice('"$ref":"#/'.length, -1).split('/');
      const target = steps.reduce<unknown>((node, step) => (node as Record<string, unknown>)?.[step], doc);
      expect(target, ref).toBeDefined();
    }
  });
});
