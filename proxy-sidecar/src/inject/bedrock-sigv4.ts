import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { BedrockSettings } from '../policy/egress-policy.js';
import type { Injector } from './injector.js';

/** Where the proxy's AWS credentials come from (the default provider chain in production). */
export type AwsCredentialsProvider = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

type SignableRequest = Parameters<SignatureV4['sign']>[0];

// Whatever the workspace put here is either a forgery or stale; the signer writes its own.
const STRIPPED = ['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];

/** Splits `a=1&b=x%3Ay` into decoded pairs; the signer re-encodes them canonically. */
function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    const existing = out[key];
    out[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return out;
}

const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/**
 * Re-signs Bedrock requests with SigV4 (service `bedrock`). The path is signed exactly as it goes on
 * the wire; the signer's URI escaping turns a raw `:` in a model id into `%3A` in the canonical URI,
 * which is what Bedrock computes on its side for `/model/anthropic.claude-...-v2:0/invoke`.
 */
export function bedrockInjector(settings: BedrockSettings, credentials: AwsCredentialsProvider): Injector {
  const signer = new SignatureV4({
    service: 'bedrock',
    region: settings.region,
    credentials,
    sha256: Sha256,
    uriEscapePath: true,
  });
  return {
    name: 'bedrock',
    needsBody: true,
    async apply(request) {
      for (const name of STRIPPED) delete request.headers[name];
      const body = request.body ?? Buffer.alloc(0);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      headers['host'] = request.hostHeader;
      if (body.length > 0 || !['GET', 'HEAD'].includes(request.method))
        headers['content-length'] = String(body.length);
      const queryAt = request.path.indexOf('?');
      const toSign: SignableRequest = {
        method: request.method,
        protocol: `${request.scheme}:`,
        hostname: request.host,
        path: queryAt < 0 ? request.path : request.path.slice(0, queryAt),
        query: queryAt < 0 ? {} : parseQuery(request.path.slice(queryAt + 1)),
        headers,
        body,
      };
      const signed = await signer.sign(toSign);
      request.headers = Object.fromEntries(
        Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]),
      );
    },
  };
}
