#!/usr/bin/env node
// Makes the Ed25519 key pair that signs agent tokens for one stage and prints the two AWS CLI commands that
// store it: the private key in Secrets Manager (read by the functions that call workspace agents), the public
// key in SSM (given to every workspace task at start). Nothing is written to disk; run it once per stage
// before the first deploy, and again to rotate (workspaces started before then keep the old public key until
// they end).
//
//   node scripts/agent-keys.mjs --stage <name>

import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { stage: { type: 'string' } } });
if (!values.stage || !/^[A-Za-z0-9-]+$/.test(values.stage)) {
  console.error('usage: node scripts/agent-keys.mjs --stage <name>');
  process.exit(2);
}
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicText = publicKey.export({ format: 'jwk' }).x;
const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;
console.log(`# Agent-token keys for stage ${values.stage} (stacks/operator-secrets.ts names them):
aws secretsmanager create-secret --name /berth/${values.stage}/agent-signing-key --secret-string ${quote(pem)}
aws ssm put-parameter --name /berth/${values.stage}/agent-public-key --type String --value ${publicText} --overwrite`);
