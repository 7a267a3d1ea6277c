import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SSMClient } from '@aws-sdk/client-ssm';
import { withSdkTimeouts } from '@berth/aws';

/** How long a read of the API keys is reused: a rotated key is live within this, no cold start needed. */
export const API_KEYS_MAX_AGE_SECONDS = 300;

/** The part of Powertools' SSMProvider used here (tests hand in a fake). */
export interface ParameterReader {
  get(name: string, options: { decrypt: boolean; maxAge: number }): Promise<unknown>;
}

/**
 * The API keys (`tenant:key,…`) from an SSM SecureString, through Powertools parameters: decrypted, cached
 * for API_KEYS_MAX_AGE_SECONDS, then read again. Its SSM client is ours (the one @aws-sdk version, with the
 * SDK timeouts every Berth client has), from the runtime's `@aws-sdk/client-ssm` (left out of the bundle).
 */
export function ssmApiKeys(
  parameterName: string,
  provider: ParameterReader = new SSMProvider({ awsSdkV3Client: new SSMClient(withSdkTimeouts({}, 'ssm')) }),
): () => Promise<string> {
  return async () => {
    const value = await provider.get(parameterName, { decrypt: true, maxAge: API_KEYS_MAX_AGE_SECONDS });
    if (typeof value !== 'string' || !value) {
      throw new Error(`SSM parameter ${parameterName} (API_KEYS_PARAMETER) is empty`);
    }
    return value;
  };
}
