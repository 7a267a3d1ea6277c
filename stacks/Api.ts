import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { use, type Stack, type StackContext } from 'sst/constructs';
import { ERROR_STATUS, type ErrorCode } from '../packages/protocol/src/api/errors.js';
import { answersStream, apiOperationList, type ApiOperation } from '../packages/protocol/src/api/routes.js';
import { usagePlanKeyPrefix } from '../packages/functions/src/auth/usage-plan-key.js';
import { berthFunction } from './lambda-function.js';
import { suppressSstInternals } from './nag-suppressions.js';
import { Provisioning } from './Provisioning.js';
import { Stopping } from './Stopping.js';
import { berthSettings } from './settings.js';

/**
 * How long a streamed answer (an agent run, a streamed command, a file) may last: API Gateway's limit for
 * response streaming, and the stream function's timeout. Buffered answers keep API Gateway's 29 s (and the
 * function its factory's 30 s).
 */
export const STREAM_TIMEOUT = Duration.minutes(15);
/** The stage: the API's URL ends in it, and API.md's paths (`/v1/...`, `/health`) follow. */
export const STAGE_NAME = 'api';
/**
 * How long API Gateway reuses an authorizer answer per Authorization header: as long as the functions reuse
 * a read of the key list (API_KEYS_MAX_AGE_SECONDS, checked by api-stack.test.ts), so a revoked key stops
 * working within one such age, at the gateway and in the function alike.
 */
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);

/**
 * Answers API Gateway gives itself (before or instead of the function), in API.md's error shape rather than
 * API Gateway's `{"message": ...}`, so a client reads one error format whoever refused.
 */
export const GATEWAY_ERRORS: Readonly<Record<string, GatewayError>> = {
  // No or an unknown `Authorization: Bearer <key>` (the authorizer's 401).
  UNAUTHORIZED: {
    code: 'unauthorized',
    message: 'missing or invalid API key: send Authorization: Bearer <key>',
  },
  // Never a Deny today (an unknown key is a 401), but a cached policy that does not cover a method would be one.
  ACCESS_DENIED: { code: 'unauthorized', message: 'this API key may not call this operation' },
  // The tenant's usage-plan key is not registered (README "Deploy to AWS"): an operator's step, not the client's.
  INVALID_API_KEY: {
    code: 'unauthorized',
    message: "this API key's tenant is not registered for the API's usage plan: ask the operator",
  },
  // The authorizer could not read the key list (SSM): never an Allow; retry.
  AUTHORIZER_FAILURE: { code: 'unavailable', message: 'API keys could not be checked', retryAfter: 1 },
  AUTHORIZER_CONFIGURATION_ERROR: { code: 'internal', message: 'the API authorizer failed' },
  THROTTLED: { code: 'throttled', message: 'too many requests: retry after Retry-After', retryAfter: 1 },
  QUOTA_EXCEEDED: { code: 'throttled', message: 'request quota of this API key used up', retryAfter: 60 },
  REQUEST_TOO_LARGE: { code: 'payload_too_large', message: 'request body too large: use a presigned upload' },
  MISSING_AUTHENTICATION_TOKEN: { code: 'not_found', message: 'no such route' },
  INTEGRATION_TIMEOUT: { code: 'unavailable', message: 'the API did not answer in time', retryAfter: 1 },
  // Body only: a status set on a DEFAULT_ response would replace that of every 5XX response it covers.
  DEFAULT_5XX: { code: 'internal', message: 'API Gateway could not complete the request' },
};

interface GatewayError {
  code: ErrorCode;
  message: string;
  /** Seconds, as the function answers 429 and 503 (API.md: `Retry-After`). */
  retryAfter?: number;
}

/**
 * The public API (API.md) on an API Gateway REST API: one resource and method per operation of the
 * protocol's table, so a new operation is a new method here without an edit. Operations that answer a stream
 * (SSE, bytes) go to the streaming function with response transfer mode STREAM; the rest to the buffered one.
 *
 * Authentication: every operation with `auth` has a REQUEST Lambda authorizer (api-authorizer entry) that
 * checks `Authorization: Bearer <key>` against the SSM key list; the API functions take the tenant from its
 * answer (only API Gateway may invoke them) and hold no key list. Per-tenant throttling is API Gateway's usage plan, which meters only methods
 * that require an API key: they do, but the key comes from the authorizer (`apiKeySourceType: AUTHORIZER`),
 * not from a second header. It answers the tenant's usage-plan key (`berth-<apiId>-tenant-<tenantId>`,
 * functions/src/auth/usage-plan-key.ts), a non-secret name of the tenant's throttling bucket the operator
 * registers once per tenant in the usage plan of its tier (README "Deploy to AWS"; the standard tier for
 * now). The function's own per-tenant limit is a quota of live workspaces, not a request rate.
 */
export function Api({ stack, app }: StackContext) {
  suppressSstInternals(stack);
  const settings = berthSettings();
  const production = app.stage === 'prod';
  // The API starts provisioning executions: registered after Provisioning.
  const functions = apiFunctions(stack, use(Provisioning).stateMachine, use(Stopping).queue);

  const accessLogs = new logs.LogGroup(stack, 'AccessLogs', {
    retention: settings.logRetentionDays as logs.RetentionDays,
    removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  const api = new apigw.RestApi(stack, 'RestApi', {
    restApiName: `${stack.stackName}-berth`,
    description: 'Berth public API (API.md)',
    // Regional: response streaming may last 15 minutes there; an edge-optimized stream idles out after 30 s.
    endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
    // Request bodies (file writes) reach the function as their bytes (base64 in the event), whatever the type.
    binaryMediaTypes: ['*/*'],
    // The usage-plan key is the authorizer's answer (usageIdentifierKey): clients send no x-api-key.
    apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
    // Logging needs the account's API Gateway CloudWatch role; kept on stack removal: it is account-wide.
    cloudWatchRole: true,
    cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
    deployOptions: {
      stageName: STAGE_NAME,
      tracingEnabled: true,
      throttlingRateLimit: settings.api.rateLimit,
      throttlingBurstLimit: settings.api.burstLimit,
      metricsEnabled: true,
      // Errors only, and never request/response data: bodies carry keys, files and prompts.
      loggingLevel: apigw.MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
      accessLogFormat: accessLogFormat(),
    },
  });

  const streamed: string[] = [];
  for (const op of apiOperationList()) {
    const streams = answersStream(op);
    if (streams) streamed.push(op.operationId);
    const integration =
      op.operationId === 'getOpenApiDocument'
        ? functions.documentIntegration
        : streams
          ? functions.streamingIntegration(api)
          : functions.bufferedIntegration;
    const method = api.root.resourceForPath(op.path).addMethod(op.method, integration, {
      operationName: op.operationId,
      apiKeyRequired: op.auth,
      ...(op.auth && { authorizer: functions.authorizer }),
    });
    if (streams) streamResponse(method);
    suppressMethodFindings(method, op);
  }

  // The transfer mode is an override, outside what CDK hashes into the deployment: a change must redeploy too.
  api.latestDeployment?.addToLogicalId({ responseTransferMode: { STREAM: streamed } });

  const usagePlan = api.addUsagePlan('UsagePlanStandard', {
    name: `${stack.stackName}-standard`,
    description: 'Standard tier: every tenant key is throttled on its own',
    throttle: { rateLimit: settings.api.keyRateLimit, burstLimit: settings.api.keyBurstLimit },
    apiStages: [{ api, stage: api.deploymentStage }],
  });

  for (const [type, error] of Object.entries(GATEWAY_ERRORS)) {
    api.addGatewayResponse(`Gateway${type}`, gatewayResponse(type, error));
  }

  suppressApiFindings(api);
  stack.addOutputs({
    ApiUrl: api.url,
    UsagePlanStandard: usagePlan.usagePlanId,
    // A tenant's usage-plan key value is this followed by its tenant id.
    TenantUsageKeyPrefix: usagePlanKeyPrefix(api.restApiId),
  });
  return { api, ...functions };
}

/**
 * The API's Lambda functions: buffered answers (API Gateway's payload limits and 29 s) and streamed ones
 * (InvokeWithResponseStream, written as produced), each carrying only its operations' code; the OpenAPI
 * document's own small one; and the authorizer in front (API key → tenant and its usage-plan key).
 */
function apiFunctions(stack: Stack, stateMachine: sfn.IStateMachine, stopQueue: sqs.IQueue) {
  const buffered = berthFunction(stack, 'ApiFunction', 'api', { stateMachine, stopQueue });
  const streaming = berthFunction(stack, 'ApiStreamFunction', 'api-stream', {
    stateMachine,
    stopQueue,
    timeout: STREAM_TIMEOUT.toSeconds(),
  });
  const authorizerFunction = berthFunction(stack, 'ApiAuthorizerFunction', 'api-authorizer', {
    memorySize: 512,
  });
  const documentFunction = berthFunction(stack, 'ApiDocumentFunction', 'api-openapi', { memorySize: 256 });
  let streamingIntegration: apigw.Integration | undefined;
  return {
    buffered,
    streaming,
    documentFunction,
    authorizerFunction,
    authorizer: new apigw.RequestAuthorizer(stack, 'ApiAuthorizer', {
      handler: authorizerFunction,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    }),
    // One permission per function for the whole API, not one per method (the policy size is limited).
    bufferedIntegration: new apigw.LambdaIntegration(buffered, {
      proxy: true,
      allowTestInvoke: false,
      scopePermissionToMethod: false,
    }),
    documentIntegration: new apigw.LambdaIntegration(documentFunction, {
      proxy: true,
      allowTestInvoke: false,
      scopePermissionToMethod: false,
    }),
    /** The Lambda proxy integration for response streaming: the 2021-11-15 streaming invocation path. */
    streamingIntegration: (api: apigw.RestApi) => {
      if (streamingIntegration) return streamingIntegration;
      streaming.addPermission('ApiGatewayInvoke', {
        principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        sourceArn: api.arnForExecuteApi(),
      });
      streamingIntegration = new apigw.Integration({
        type: apigw.IntegrationType.AWS_PROXY,
        integrationHttpMethod: 'POST',
        uri: streamingInvocationUri(stack, streaming),
        options: { timeout: STREAM_TIMEOUT },
      });
      return streamingIntegration;
    },
  };
}

export const streamingInvocationUri = (stack: Stack, fn: lambda.IFunction): string =>
  `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2021-11-15/functions/${fn.functionArn}/response-streaming-invocations`;

/**
 * Response transfer mode STREAM on a method's integration. aws-cdk-lib 2.224's IntegrationOptions lacks it
 * (added in 2.230), so it is set on the CloudFormation method directly.
 */
function streamResponse(method: apigw.Method): void {
  (method.node.defaultChild as apigw.CfnMethod).addPropertyOverride(
    'Integration.ResponseTransferMode',
    'STREAM',
  );
}

/** One JSON line per request: who (key id, source IP), what (route, status), how long, and how large. */
function accessLogFormat(): apigw.AccessLogFormat {
  const F = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: F.contextRequestId(),
      requestTime: F.contextRequestTime(),
      ip: F.contextIdentitySourceIp(),
      apiKeyId: F.contextIdentityApiKeyId(),
      method: F.contextHttpMethod(),
      resourcePath: F.contextResourcePath(),
      path: F.contextPath(),
      status: F.contextStatus(),
      responseLength: F.contextResponseLength(),
      responseLatency: F.contextResponseLatency(),
      integrationLatency: F.contextIntegrationLatency(),
      integrationStatus: F.contextIntegrationStatus(),
      errorType: F.contextErrorResponseType(),
      xrayTraceId: F.contextXrayTraceId(),
    }),
  );
}

function gatewayResponse(type: string, error: GatewayError): apigw.GatewayResponseOptions {
  const body = { error: { code: error.code, message: error.message, requestId: '$context.requestId' } };
  return {
    type: apigw.ResponseType.of(type),
    ...(!type.startsWith('DEFAULT_') && { statusCode: String(ERROR_STATUS[error.code]) }),
    responseHeaders: {
      'Content-Type': "'application/json'",
      ...(error.retryAfter ? { 'Retry-After': `'${error.retryAfter}'` } : {}),
    },
    templates: { 'application/json': JSON.stringify(body) },
  };
}

/** cdk-nag findings a Berth method has by design, each with why. */
function suppressMethodFindings(method: apigw.Method, op: ApiOperation): void {
  NagSuppressions.addResourceSuppressions(method, [
    // Keyed operations have the Lambda authorizer: only the public ones lack authorization.
    ...(op.auth
      ? []
      : [
          {
            id: 'AwsSolutions-APIG4',
            reason: `${op.method} ${op.path} is public by design (API.md): no key is needed to read it`,
          },
        ]),
    {
      id: 'AwsSolutions-COG4',
      reason:
        'Berth has no Cognito users: tenants authenticate with Berth API keys, checked by the Lambda authorizer',
    },
  ]);
}

/**
 * cdk-nag findings of the API as a whole: request validation (in the function), and the account-wide role
 * API Gateway writes logs with (AWS's managed policy for exactly that).
 */
function suppressApiFindings(api: apigw.RestApi): void {
  NagSuppressions.addResourceSuppressions(
    api,
    [
      {
        id: 'AwsSolutions-APIG2',
        reason:
          "Requests are validated in the function against the protocol's schemas, so a refusal keeps API.md's error body (400/415/422); an API Gateway validator would answer in its own shape",
      },
    ],
    false,
  );
  const role = api.node.tryFindChild('CloudWatchRole');
  if (role) {
    NagSuppressions.addResourceSuppressions(role, [
      {
        id: 'AwsSolutions-IAM4',
        appliesTo: [
          'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
        ],
        reason:
          "API Gateway's account-wide logging role: AWS's managed policy is the one API Gateway documents for it, and it serves every API of the account",
      },
    ]);
  }
}
