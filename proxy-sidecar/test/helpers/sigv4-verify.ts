import { createHash, createHmac } from 'node:crypto';
import type { SeenRequest } from './http.js';

// An independent SigV4 check (AWS "Create a canonical request" rules for non-S3 services), written
// from the specification rather than with the signer the proxy uses, so it can catch the proxy's mistakes.

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** What the verifier found. */
export interface SigV4Check {
  valid: boolean;
  canonicalUri: string;
  signedHeaders: string[];
  accessKeyId: string;
  scope: string;
}

export function verifySigV4(
  req: SeenRequest,
  credentials: { accessKeyId: string; secretAccessKey: string },
  region: string,
  service: string,
): SigV4Check {
  const auth = String(req.headers['authorization'] ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!match) throw new Error(`not a SigV4 Authorization header: ${auth}`);
  const [, accessKeyId = '', scope = '', signedList = '', signature = ''] = match;
  const [date = ''] = scope.split('/');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const [rawPath = '', rawQuery = ''] = req.url.split('?');
  // Each path segment is URI-encoded once more, exactly as the request carried it (non-S3 rule).
  const canonicalUri = rawPath
    .split('/')
    .map((segment) => rfc3986(segment))
    .join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((part) => rfc3986(decodeURIComponent(part ?? ''))))
    .map(([k = '', v = '']) => [k, v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = signedList.split(';');
  const canonicalHeaders = signedHeaders
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalRequest = [
    req.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedList,
    sha256(req.body),
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), region), service),
    'aws4_request',
  );
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    valid:
      expected === signature &&
      accessKeyId === credentials.accessKeyId &&
      scope === `${date}/${region}/${service}/aws4_request` &&
      amzDate.startsWith(date),
    canonicalUri,
    signedHeaders,
    accessKeyId,
    scope,
  };
}
