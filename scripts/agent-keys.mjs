#!/usr/bin/env node
// Makes the Ed25519 key pair that signs agent tokens and proxy credentials for one stage and prints the two
// AWS CLI commands that store it: the private key in Secrets Manager (read by the functions that call
// workspace agents and relays), the public key in SSM (given to every workspace task and the egress gateway
// at start). Nothing is written to disk; run it once per stage before the first deploy, and again to rotate
// (workspaces started before then keep the old public key until they end).
//
// It also prints the command for the Anthropic API key that the egress gateway adds to the workspaces' model
// calls (BERTH_MODEL_PROVIDER=anthropic, the default; Bedrock mode needs none). The key is not this script's:
// the command reads it from $ANTHROPIC_API_KEY in the operator's shell.
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
aws ssm put-parameter --name /berth/${values.stage}/agent-public-key --type String --value ${publicText} --overwrite
# Anthropic mode only (the default): the API key the egress gateway adds, read only by the gateway's tasks.
# Set ANTHROPIC_API_KEY in this shell first (README "Deploy to AWS" says how to replace it later).
aws secretsmanager create-secret --name /berth/${values.stage}/anthropic-api-key --secret-string "$ANTHROPIC_API_KEY"`);
