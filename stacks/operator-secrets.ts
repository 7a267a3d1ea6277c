/**
 * What the operator creates once per stage before the first deploy (README "Deploy to AWS";
 * `node scripts/agent-keys.mjs --stage <name>` prints the commands for the agent-token keys and the Anthropic
 * key). CloudFormation cannot create SecureStrings, and a key made or given to the stack would sit in its
 * template.
 */

/**
 * The SSM SecureString of API keys (`tenant:key,…`), under SSM's default key (aws/ssm), whose key policy lets
 * the account's principals decrypt through SSM: ssm:GetParameter on it is all the authorizer needs.
 */
export const apiKeysParameterName = (stage: string) => `/berth/${stage}/api-keys`;

/**
 * The Secrets Manager secret holding the Ed25519 private key (PKCS#8 PEM) that signs agent tokens; only the
 * functions that call workspace agents may read it.
 */
export const agentSigningKeySecretName = (stage: string) => `/berth/${stage}/agent-signing-key`;

/** The SSM String parameter with its public half (base64url, 32 bytes): workspace tasks get it at start. */
export const agentPublicKeyParameterName = (stage: string) => `/berth/${stage}/agent-public-key`;

/**
 * Anthropic mode (BERTH_MODEL_PROVIDER=anthropic): the Secrets Manager secret holding the Anthropic API key,
 * as a plain string. ECS hands it to the egress gateway's container only; no workspace task and no function
 * can read it.
 */
export const anthropicApiKeySecretName = (stage: string) => `/berth/${stage}/anthropic-api-key`;
