import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { verifySigV4, type SigV4Check } from '../../proxy-sidecar/test/helpers/sigv4-verify.js';
import { startFakeMessagesApi, type FakeMessagesApi, type FakeTurn } from './fake-messages-api.js';

/** One request the fake saw. */
export interface FakeBedrockRequest {
  method: string;
  /** As it came on the wire (`/model/us.anthropic.claude-x-v1%3A0/invoke-with-response-stream`). */
  url: string;
  /** Decoded from the path; undefined for paths that are not an invoke. */
  modelId?: string;
  operation?: 'invoke' | 'invoke-with-response-stream';
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** `unsigned`: no Authorization header. Checked only when the fake was given credentials. */
  signature: 'valid' | 'invalid' | 'unsigned' | 'unchecked';
  /** What the independent SigV4 check found (signed requests of a checking fake). */
  sigv4?: SigV4Check;
}

export interface FakeBedrock {
  port: number;
  requests: FakeBedrockRequest[];
  /** Replaces the script (fake-messages-api.ts's turns: text, tool call, hang). */
  setScript(script: string | FakeTurn[]): void;
  close(): Promise<void>;
}

export interface FakeBedrockOptions {
  script?: string | FakeTurn[];
  /**
   * Check every request's SigV4 signature (service `bedrock`) against these credentials, as Bedrock would:
   * a request that is unsigned or signed otherwise gets Bedrock's 403 and never reaches the model.
   */
  verify?: { region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
}

const INVOKE = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

/**
 * One AWS event stream frame (application/vnd.amazon.eventstream) of InvokeModelWithResponseStream: a
 * `chunk` event whose payload carries one Messages API stream event as base64 JSON, as Bedrock sends it.
 */
function chunkFrame(anthropicEvent: string): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: 'chunk' },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: Buffer.from(JSON.stringify({ bytes: Buffer.from(anthropicEvent).toString('base64') })),
  });
}

/**
 * A stand-in for the Bedrock runtime on 127.0.0.1 (ephemeral port), enough for the Claude Agent SDK in
 * Bedrock mode: `POST /model/{modelId}/invoke-with-response-stream` answers an AWS event stream of `chunk`
 * events, `POST /model/{modelId}/invoke` one JSON message. The answers are fake-messages-api.ts's scripted
 * turns (the fake runs one behind this one and gets the body with `model` and `stream` put back), so both
 * fakes script alike. Anything else is Bedrock's 404. Every request is recorded, with its signature checked
 * independently of the signer (proxy-sidecar/test/helpers/sigv4-verify.ts) when `verify` is given.
 */
export async function startFakeBedrock(options: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  const messages: FakeMessagesApi = await startFakeMessagesApi(options.script ?? 'hello');
  const requests: FakeBedrockRequest[] = [];
  const inner = new Set<http.ClientRequest>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown = null;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : null;
      } catch {
        body = raw.toString('utf8');
      }
      const url = req.url ?? '';
      const match = INVOKE.exec(url.split('?')[0] ?? '');
      const seen: FakeBedrockRequest = {
        method: req.method ?? '',
        url,
        ...(match && {
          modelId: decodeURIComponent(match[1]!),
          operation: match[2] as FakeBedrockRequest['operation'],
        }),
        headers: req.headers,
        body,
        signature: 'unchecked',
      };
      requests.push(seen);
      const error = (status: number, type: string, message: string) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
        res.end(JSON.stringify({ message }));
      };

      if (options.verify) {
        if (!req.headers.authorization) seen.signature = 'unsigned';
        else {
          try {
            const { region, credentials } = options.verify;
            seen.sigv4 = verifySigV4(
              { method: seen.method, url, headers: req.headers, rawHeaders: req.rawHeaders, body: raw },
              credentials,
              region,
              'bedrock',
            );
            seen.signature = seen.sigv4.valid ? 'valid' : 'invalid';
          } catch {
            seen.signature = 'invalid';
          }
        }
        if (seen.signature === 'unsigned') {
          error(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
          return;
        }
        if (seen.signature === 'invalid') {
          error(403, 'InvalidSignatureException', 'The request signature we calculated does not match.');
          return;
        }
      }
      if (req.method !== 'POST' || !match || typeof body !== 'object' || body === null) {
        error(404, 'UnknownOperationException', 'not here');
        return;
      }
      const stream = seen.operation === 'invoke-with-response-stream';
      const turn = http.request(
        {
          host: '127.0.0.1',
          port: messages.port,
          method: 'POST',
          path: '/v1/messages',
          headers: { 'content-type': 'application/json' },
        },
        (answer) => {
          if (!stream || answer.statusCode !== 200) {
            res.writeHead(answer.statusCode ?? 500, { 'content-type': 'application/json' });
            answer.pipe(res);
            return;
          }
          res.writeHead(200, {
            'content-type': 'application/vnd.amazon.eventstream',
            'x-amzn-bedrock-content-type': 'application/json',
          });
          // The fake Messages API's SSE, one `data:` JSON per event, becomes one chunk frame per event.
          let buffered = '';
          answer.setEncoding('utf8');
          answer.on('data', (text: string) => {
            buffered += text;
            let end: number;
            while ((end = buffered.indexOf('\n\n')) >= 0) {
              const block = buffered.slice(0, end);
              buffered = buffered.slice(end + 2);
              const data = block.split('\n').find((line) => line.startsWith('data: '));
              if (data) res.write(chunkFrame(data.slice('data: '.length)));
            }
          });
          answer.on('end', () => res.end());
        },
      );
      inner.add(turn);
      turn.on('close', () => inner.delete(turn));
      turn.on('error', () => res.destroy());
      res.on('close', () => turn.destroy()); // the client went away: so does the model turn
      turn.end(JSON.stringify({ ...body, model: seen.modelId, stream }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    setScript: (script) => messages.setScript(script),
    close: async () => {
      for (const turn of inner) turn.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await messages.close();
    },
  };
}
