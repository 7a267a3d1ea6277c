import type { KeyObject } from 'node:crypto';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { agentSigningKeyFromPem } from '@berth/protocol/agent-token';
import { withSdkTimeouts } from '../client-timeouts.js';

export interface AgentSigningKeySource {
  /** Name or ARN of the secret holding the Ed25519 private key as PKCS#8 PEM (SecretString). */
  secretId: string;
  client?: SecretsManagerClient;
  clientConfig?: SecretsManagerClientConfig;
}

/**
 * The control plane's agent-token signing key, read from Secrets Manager (once per cold start: the functions
 * that call agents build their deps once). Only those functions may read the secret; workspaces hold its
 * public half (the task definition's AGENT_TOKEN_PUBLIC_KEY) and nothing else.
 */
export async function agentSigningKeyFromSecret(source: AgentSigningKeySource): Promise<KeyObject> {
  const client =
    source.client ?? new SecretsManagerClient(withSdkTimeouts(source.clientConfig ?? {}, 'secretsManager'));
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: source.secretId }));
  if (!SecretString) throw new Error(`secret ${source.secretId} has no string value (an Ed25519 PEM)`);
  try {
    return agentSigningKeyFromPem(SecretString);
  } catch (e) {
    // The message never carries the secret's value.
    throw new Error(`secret ${source.secretId} is not an Ed25519 private key in PKCS#8 PEM`, { cause: e });
  }
}
