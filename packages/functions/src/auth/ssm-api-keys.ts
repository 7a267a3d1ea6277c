import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';

/** How long a read of the API keys is reused: a rotated key is live within this, no cold start needed. */
export const API_KEYS_MAX_AGE_SECONDS = 300;

/** The part of Powertools' SSMProvider used here (tests hand in a fake). */
export interface ParameterReader {
  get(name: string, options: { decrypt: boolean; maxAge: number }): Promise<unknown>;
}

/**
 * The API keys (`tenant:key,…`) from an SSM SecureString, through Powertools parameters: decrypted, cached
 * for API_KEYS_MAX_AGE_SECONDS, then read again. The provider makes its SSM client from `@aws-sdk/client-ssm`,
 * which the Lambda runtime provides (left out of the bundle).
 */
export function ssmApiKeys(
  parameterName: string,
  provider: ParameterReader = new SSMProvider(),
): () => Promise<string> {
  return async () => {
    const value = await provider.get(parameterName, { decrypt: true, maxAge: API_KEYS_MAX_AGE_SECONDS });
    if (typeof value !== 'string' || !value) {
      throw new Error(`SSM parameter ${parameterName} (API_KEYS_PARAMETER) is empty`);
    }
    return value;
  };
}
