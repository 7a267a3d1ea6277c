import type { AppDeps, DepsProvider } from '../app-deps.js';
import { assertNoneMissing, AWS_ENV, envValue, type AwsEnvName, type Env } from './aws-env.js';
import {
  dynamoStartBacklog,
  dynamoStore,
  ecsTasks,
  gatewayEgress,
  httpWorkspaceAgent,
  lambdaPoolRefiller,
  s3Blobs,
  sfnProvisioner,
  signedAgentTokens,
  sqsStopper,
} from './aws-ports.js';
import { depsFromEnv, lambdaDeps, type Wiring } from './lambda-deps.js';

/**
 * The API functions' wiring: every port of the core services. No key list: API Gateway's authorizer
 * (api-authorizer.ts) authenticates, and the functions read its answer (auth/authorizer-context.ts).
 */
export const API_WIRING = {
  store: dynamoStore,
  blobs: s3Blobs,
  runtime: ecsTasks,
  provisioner: sfnProvisioner,
  workspaceAgent: httpWorkspaceAgent,
  agentTokens: signedAgentTokens,
  // A delete hands its stop to the stop worker: API Gateway's 29 s would cut a snapshot upload short.
  stopper: sqsStopper,
  // PUT /egress writes the rules the gateway reads; keepalive renews the proxy credential.
  egress: gatewayEgress,
  // Admission reads the RunTask bucket's backlog (503 capacity past admission.maxStartWaitMs).
  startGate: dynamoStartBacklog,
  // A claim or a miss asks for a refill of the warm pool.
  poolRefiller: lambdaPoolRefiller,
} satisfies Wiring;

/** Checks the API functions' environment (one error naming all that is missing) and returns its values. */
export function readAwsEnv(env: Env): Record<AwsEnvName, string> {
  assertNoneMissing(Object.values(API_WIRING).flatMap((w) => w.missing(env)));
  const names = Object.keys(AWS_ENV) as AwsEnvName[];
  return Object.fromEntries(names.map((k) => [k, envValue(env, k)])) as Record<AwsEnvName, string>;
}

/** Every port on AWS, from the environment, as the API functions run. */
export const awsDepsFromEnv = (env: Env = process.env): Promise<AppDeps> => depsFromEnv(API_WIRING, env);

/** The API entry points' deps; built on first use, once per cold start. */
export const awsDeps: DepsProvider = lambdaDeps(API_WIRING);
