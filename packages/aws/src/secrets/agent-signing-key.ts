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

/** Keys read with the default client, by secret id: one read per process however many ports sign. */
const readOnce = new Map<string, Promise<KeyObject>>();

/**
 * The control plane's agent-token signing key, read from Secrets Manager. Only the functions that sign may
 * read the secret; workspaces hold its public half (the task definition's AGENT_TOKEN_PUBLIC_KEY) and nothing
 * else. With the default client (no `client` or `clientConfig`), a secret is read once per process (cold
 * start) and shared by every port that signs with it (agent tokens, proxy credentials); a failed read is not
 * kept, so the next call tries again.
 */
export function agentSigningKeyFromSecret(source: AgentSigningKeySource): Promise<KeyObject> {
  if (source.client || source.clientConfig) return readKey(source);
  let key = readOnce.get(source.secretId);
  if (!key) {
    const reading = readKey(source);
    readOnce.set(source.secretId, reading);
    reading.catch(() => {
      if (readOnce.get(source.secretId) === reading) readOnce.delete(source.secretId);
    });
    key = reading;
  }
  return key;
}

async function readKey(source: AgentSigningKeySource): Promise<KeyObject> {
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
