import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../packages/protocol/src/api/errors.js';
import { answersStream, apiOperationList } from '../../packages/protocol/src/api/routes.js';
import { API_KEYS_MAX_AGE_SECONDS } from '../../packages/functions/src/auth/ssm-api-keys.js';
import { Api, AUTHORIZER_CACHE_TTL, GATEWAY_ERRORS, STAGE_NAME, STREAM_TIMEOUT } from '../Api.js';
import { Data } from '../Data.js';
import { EgressGateway } from '../EgressGateway.js';
import { Network } from '../Network.js';
import { Provisioning } from '../Provisioning.js';
import { Stopping } from '../Stopping.js';
import { berthSettings, SettingsError } from '../settings.js';
import { Workspaces } from '../Workspaces.js';
import { nag, type NagReport } from './nag.js';
import { synthStacks } from './synth.js';

const STACKS = [Data, Network, EgressGateway, Workspaces, Provisioning, Stopping, Api];

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

interface MethodProps {
  HttpMethod: string;
  ResourceId: { Ref: string } | { 'Fn::GetAtt': string[] };
  OperationName: string;
  ApiKeyRequired?: boolean;
  AuthorizationType: string;
  AuthorizerId?: { Ref: string };
  Integration: {
    Type: string;
    IntegrationHttpMethod: string;
    Uri: { 'Fn::Join': [string, unknown[]] };
    ResponseTransferMode?: string;
    TimeoutInMillis?: number;
  };
}

/** Each API Gateway method with its full path (`/v1/workspaces/{id}`), rebuilt from the resource tree. */
function methods(template: Template): (MethodProps & { path: string })[] {
  const resources = template.toJSON().Resources as Resources;
  const pathOf = (ref: unknown): string => {
    if (typeof ref === 'object' && ref !== null && 'Fn::GetAtt' in ref) return ''; // the API's root
    const resource = resources[(ref as { Ref: string }).Ref]!.Properties;
    return `${pathOf(resource.ParentId)}/${resource.PathPart as string}`;
  };
  return Object.values(template.findResources('AWS::ApiGateway::Method')).map(({ Properties }) => {
    const props = Properties as MethodProps;
    return { ...props, path: pathOf(props.ResourceId) || '/' };
  });
}

/** The Lambda function logical id a method's integration URI invokes, and the invocation path after it. */
function target(method: MethodProps): { fn: string; path: string } {
  const parts = method.Integration.Uri['Fn::Join'][1];
  const fn = parts.find(
    (p): p is { 'Fn::GetAtt': string[] } => typeof p === 'object' && p !== null && 'Fn::GetAtt' in p,
  );
  return { fn: fn!['Fn::GetAtt'][0]!, path: parts.filter((p) => typeof p === 'string').join('') };
}

describe('Api stack', () => {
  let template: Template;
  let all: ReturnType<typeof methods>;
  beforeAll(async () => {
    template = (await synthStacks(STACKS)).get(Api)!;
    all = methods(template);
  }, 120_000);

  it('has one method per operation of the protocol, with its method, path and name, and nothing else', () => {
    const expected = apiOperationList().map((op) => `${op.method} ${op.path} ${op.operationId}`);
    expect(all.map((m) => `${m.HttpMethod} ${m.path} ${m.OperationName}`).sort()).toEqual(expected.sort());
  });

  it('streams the operations that answer a stream, through the streaming function, for up to 15 minutes', () => {
    const streamed = apiOperationList().filter(answersStream);
    // SSE (exec, execute) and bytes (exec/binary, file reads) at least: the table decides, not this test.
    expect(streamed.map((op) => op.operationId)).toEqual(
      expect.arrayContaining(['runCommand', 'startAgentRun', 'runCommandBinary', 'readFile']),
    );
    for (const op of streamed) {
      const method = all.find((m) => m.OperationName === op.operationId)!;
      expect(method.Integration).toMatchObject({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        ResponseTransferMode: 'STREAM',
        TimeoutInMillis: STREAM_TIMEOUT.toMilliseconds(),
      });
      expect(STREAM_TIMEOUT.toMilliseconds()).toBe(900_000);
      const { fn, path } = target(method);
      expect(fn).toMatch(/^ApiStreamFunction/);
      expect(path).toMatch(
        /:apigateway:us-east-1:lambda:path\/2021-11-15\/functions\/\/response-streaming-invocations$/,
      );
    }
  });

  it('answers the other operations buffered, through the buffered function', () => {
    const buffered = apiOperationList().filter(
      (op) => !answersStream(op) && op.operationId !== 'getOpenApiDocument',
    );
    expect(buffered.length).toBeGreaterThan(0);
    for (const op of buffered) {
      const method = all.find((m) => m.OperationName === op.operationId)!;
      expect(method.Integration.Type).toBe('AWS_PROXY');
      expect(method.Integration.ResponseTransferMode).toBeUndefined();
      const { fn, path } = target(method);
      expect(fn).toMatch(/^ApiFunction/);
      expect(path).toMatch(/lambda:path\/2015-03-31\/functions\/\/invocations$/);
      expect(path).not.toContain('response-streaming');
    }
  });

  it('answers the OpenAPI document from its own function, without the authorizer', () => {
    const method = all.find((m) => m.OperationName === 'getOpenApiDocument')!;
    expect(method.Integration.Type).toBe('AWS_PROXY');
    expect(method.AuthorizationType ?? 'NONE').toBe('NONE');
    expect(target(method).fn).toMatch(/^ApiDocumentFunction/);
  });

  it('requires an API Gateway key on every operation with auth, and none on the public ones', () => {
    for (const op of apiOperationList()) {
      const method = all.find((m) => m.OperationName === op.operationId)!;
      expect([op.operationId, method.ApiKeyRequired ?? false]).toEqual([op.operationId, op.auth]);
      // Keyed operations go through the Lambda authorizer (which also names the usage-plan key).
      expect([op.operationId, method.AuthorizationType]).toEqual([
        op.operationId,
        op.auth ? 'CUSTOM' : 'NONE',
      ]);
    }
    expect(
      all
        .filter((m) => !m.ApiKeyRequired)
        .map((m) => `${m.HttpMethod} ${m.path}`)
        .sort(),
    ).toEqual(['GET /health', 'GET /v1/openapi.json']);
  });

  it('is a regional REST API with usage-plan keys from the authorizer and every body passed as bytes', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      ApiKeySourceType: 'AUTHORIZER',
      BinaryMediaTypes: ['*/*'],
    });
  });

  it('authorizes keyed operations with a REQUEST authorizer on Authorization, cached as the keys are', () => {
    const authorizers = template.findResources('AWS::ApiGateway::Authorizer');
    expect(Object.keys(authorizers)).toHaveLength(1);
    const [authorizerId, authorizer] = Object.entries(authorizers)[0]!;
    expect(authorizer.Properties).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    expect(AUTHORIZER_CACHE_TTL.toSeconds()).toBe(API_KEYS_MAX_AGE_SECONDS);
    const uri = JSON.stringify(authorizer.Properties.AuthorizerUri);
    expect(uri).toMatch(/"ApiAuthorizerFunction[0-9A-F]{8}","Arn"/);
    const keyed = all.filter((m) => m.ApiKeyRequired);
    expect(keyed.length).toBe(apiOperationList().filter((op) => op.auth).length);
    for (const m of keyed) expect(m.AuthorizerId).toEqual({ Ref: authorizerId });
    for (const m of all.filter((m) => !m.ApiKeyRequired)) expect(m.AuthorizerId).toBeUndefined();
  });

  it('runs the authorizer as the api-authorizer entry, reading only the API keys parameter', () => {
    const [fn] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith('ApiAuthorizerFunction'),
    );
    expect(fn![1].Properties).toMatchObject({
      // Offline synth has no handler path: the description names the entry (iam.test.ts reads it too).
      Description: 'Berth api-authorizer',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
    const env = fn![1].Properties.Environment.Variables as Record<string, string>;
    expect(env.API_KEYS_PARAMETER).toBe('/berth/test/api-keys');
    expect(Object.keys(env).filter((k) => !/^(SST_|AWS_NODEJS_)/.test(k))).toEqual(['API_KEYS_PARAMETER']);
  });

  it('outputs the usage plan and the prefix of every tenant usage-plan key', () => {
    const prefix = JSON.stringify(template.findOutputs('TenantUsageKeyPrefix').TenantUsageKeyPrefix!.Value);
    expect(prefix).toMatch(/^\{"Fn::Join":\["",\["berth-",\{"Ref":"RestApi[0-9A-F]+"\},"-tenant-"\]\]\}$/);
    expect(template.findOutputs('UsagePlanStandard')).toBeDefined();
  });

  it('throttles the stage, traces it with X-Ray, and logs errors without request data', () => {
    const { api } = berthSettings({});
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: STAGE_NAME,
      TracingEnabled: true,
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: api.rateLimit,
          ThrottlingBurstLimit: api.burstLimit,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
        }),
      ],
    });
  });

  it('writes access logs (with the API key id) to a log group with retention', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    const [id] = Object.entries(groups).find(([key]) => key.startsWith('AccessLogs'))!;
    expect(groups[id]!.Properties.RetentionInDays).toBe(berthSettings({}).logRetentionDays);
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!.Properties as {
      AccessLogSetting: { DestinationArn: unknown; Format: string };
    };
    expect(stage.AccessLogSetting.DestinationArn).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
    const format = JSON.parse(stage.AccessLogSetting.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      apiKeyId: '$context.identity.apiKeyId',
      status: '$context.status',
    });
  });

  it('throttles each key in the usage plan of its tier, on this stage', () => {
    const { api } = berthSettings({});
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: api.keyRateLimit, BurstLimit: api.keyBurstLimit },
      ApiStages: [{ ApiId: { Ref: Match.stringLikeRegexp('^RestApi') }, Stage: { Ref: Match.anyValue() } }],
    });
    // Keys hold tenants' secrets: the operator adds them to the plan, the template has none.
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    expect(api.keyRateLimit).toBeLessThanOrEqual(api.rateLimit);
  });

  it('reads the throttles from the settings', () => {
    const env = {
      BERTH_API_RATE: '50',
      BERTH_API_BURST: '60',
      BERTH_API_KEY_RATE: '5',
      BERTH_API_KEY_BURST: '7',
    };
    expect(berthSettings(env).api).toEqual({
      rateLimit: 50,
      burstLimit: 60,
      keyRateLimit: 5,
      keyBurstLimit: 7,
    });
    expect(() => berthSettings({ BERTH_API_RATE: 'fast' })).toThrow(SettingsError);
    expect(() => berthSettings({ BERTH_API_KEY_BURST: '0' })).toThrow(/BERTH_API_KEY_BURST/);
  });

  it("answers API Gateway's own refusals in API.md's error shape", () => {
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map(
      (r) =>
        r.Properties as {
          ResponseType: string;
          StatusCode: string;
          ResponseTemplates: Record<string, string>;
        },
    );
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(Object.keys(GATEWAY_ERRORS).sort());
    for (const response of responses) {
      const error = GATEWAY_ERRORS[response.ResponseType]!;
      // A DEFAULT_ response keeps each response's own status (setting one would replace them all).
      const status = response.ResponseType.startsWith('DEFAULT_')
        ? undefined
        : String(ERROR_STATUS[error.code]);
      expect(response.StatusCode).toBe(status);
      expect(JSON.parse(response.ResponseTemplates['application/json']!)).toEqual({
        error: { code: error.code, message: error.message, requestId: '$context.requestId' },
      });
    }
    expect(GATEWAY_ERRORS.INVALID_API_KEY!.code).toBe('unauthorized');
    expect(GATEWAY_ERRORS.THROTTLED!.code).toBe('throttled');
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Retry-After': "'1'" }),
    });
  });

  it('lets only this API invoke each function (one permission per function)', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (p) =>
        p.Properties as { FunctionName: { 'Fn::GetAtt': string[] }; Principal: string; SourceArn: unknown },
    );
    expect(
      permissions.map((p) => p.FunctionName['Fn::GetAtt'][0]!.replace(/[0-9A-F]{8}$/, '')).sort(),
    ).toEqual(['ApiAuthorizerFunction', 'ApiDocumentFunction', 'ApiFunction', 'ApiStreamFunction']);
    for (const p of permissions) {
      expect(p.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(p.SourceArn)).toMatch(/execute-api.*"Ref":"RestApi[0-9A-F]+"/);
    }
  });

  it('runs both API functions on nodejs22.x/arm64 with active tracing; the streaming one for 15 minutes', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    const api = Object.entries(fns).filter(([id]) => /^Api(Stream)?Function[0-9A-F]{8}$/.test(id));
    expect(api).toHaveLength(2);
    for (const [id, { Properties }] of api) {
      expect(Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      expect(Properties.Timeout).toBe(id.startsWith('ApiStream') ? STREAM_TIMEOUT.toSeconds() : 30);
    }
  });

  it('outputs the API URL (of the stage)', () => {
    const url = JSON.stringify(template.findOutputs('ApiUrl').ApiUrl!.Value);
    expect(url).toMatch(/"https:\/\/",\{"Ref":"RestApi[0-9A-F]+"\},"\.execute-api\./);
    expect(url).toMatch(/\{"Ref":"RestApiDeploymentStage[0-9a-zA-Z]+"\},"\/"\]\]\}$/);
  });
});

describe('Api stack under cdk-nag AwsSolutions', () => {
  let report: NagReport;
  beforeAll(async () => {
    report = await nag(STACKS);
  }, 120_000);

  it('has no unsuppressed errors', () => {
    expect(report.errors).toEqual([]);
    expect(report.validationFailures).toEqual([]);
  });

  it('suppresses only with a reason: authorization and validation are in the function', () => {
    for (const s of report.suppressions) expect(s.reason.length).toBeGreaterThan(20);
    const ids = new Set(report.suppressions.map((s) => s.id));
    for (const id of ['AwsSolutions-APIG2', 'AwsSolutions-APIG4', 'AwsSolutions-COG4'])
      expect(ids).toContain(id);
    const apig4 = report.suppressions.filter((s) => s.id === 'AwsSolutions-APIG4');
    // Only the public operations lack authorization; the keyed ones have the Lambda authorizer.
    expect(apig4).toHaveLength(apiOperationList().filter((op) => !op.auth).length);
    expect(apig4.every((s) => /public by design/.test(s.reason))).toBe(true);
  });
});
