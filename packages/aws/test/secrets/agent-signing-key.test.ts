import { generateKeyPairSync } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signAgentToken, verifyAgentToken } from '@berth/protocol/agent-token';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { agentSigningKeyFromSecret } from '../../src/secrets/agent-signing-key.js';

// Secrets Manager has no local stand-in here: its client is mocked with the service's documented answer.
const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

const SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:/berth/prod/agent-signing-key-a1B2c3';
const answer = (SecretString?: string) => ({
  ARN: SECRET_ARN,
  Name: '/berth/prod/agent-signing-key',
  VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1',
  ...(SecretString !== undefined && { SecretString }),
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date('2026-11-01T00:00:00Z'),
  $metadata: { httpStatusCode: 200 },
});

describe('agentSigningKeyFromSecret', () => {
  it('reads the PEM from the secret and signs tokens its public half verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    sm.on(GetSecretValueCommand, { SecretId: '/berth/prod/agent-signing-key' }).resolves(
      answer(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    );
    const key = await agentSigningKeyFromSecret({
      secretId: '/berth/prod/agent-signing-key',
      client: new SecretsManagerClient({ region: 'us-east-1' }),
    });
    const token = signAgentToken(key, { workspaceId: 'ws_1', issuedAt: 100, expiresAt: 400 });
    expect(verifyAgentToken(publicKey, token, { workspaceId: 'ws_1', nowSeconds: 200 }).ok).toBe(true);
  });

  it('refuses a secret without a string, or one that is not an Ed25519 PEM, never echoing its value', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    sm.on(GetSecretValueCommand).resolvesOnce(answer()).resolvesOnce(answer('hunter2-not-a-key'));
    await expect(agentSigningKeyFromSecret({ secretId: 's', client })).rejects.toThrow(/no string value/);
    const e = (await agentSigningKeyFromSecret({ secretId: 's', client }).catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/not an Ed25519 private key/);
    expect(e.message).not.toContain('hunter2');
  });
});
