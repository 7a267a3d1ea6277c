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

describe('agentSigningKeyFromSecret with the default client', () => {
  it('reads a secret once per process, shared by every caller; a failed read is tried again', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    sm.on(GetSecretValueCommand, { SecretId: '/berth/once/a' })
      .rejectsOnce(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))
      .resolves(answer(pem));
    await expect(agentSigningKeyFromSecret({ secretId: '/berth/once/a' })).rejects.toThrow('timed out');
    // Two ports building at once (the functions build their ports concurrently), then a later one.
    const [a, b] = await Promise.all([
      agentSigningKeyFromSecret({ secretId: '/berth/once/a' }),
      agentSigningKeyFromSecret({ secretId: '/berth/once/a' }),
    ]);
    const c = await agentSigningKeyFromSecret({ secretId: '/berth/once/a' });
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(a.equals(privateKey)).toBe(true);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);

    // Another secret id is another read; a caller's own client always reads.
    sm.on(GetSecretValueCommand, { SecretId: '/berth/once/b' }).resolves(answer(pem));
    await agentSigningKeyFromSecret({ secretId: '/berth/once/b' });
    await agentSigningKeyFromSecret({
      secretId: '/berth/once/a',
      client: new SecretsManagerClient({ region: 'us-east-1' }),
    });
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      '/berth/once/a',
      '/berth/once/a',
      '/berth/once/b',
      '/berth/once/a',
    ]);
  });
});
