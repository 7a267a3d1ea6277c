import type { IncomingMessage } from 'node:http';

/** The relay's own answer while it holds no usable proxy credential (503, X-Berth-Proxy-Error). */
export const NOT_READY = {
  status: 503,
  code: 'egress_not_ready',
  message:
    'egress is not ready: this workspace has no proxy credential yet (or it expired); try again shortly',
  headers: { 'retry-after': '1' },
} as const;

export const BAD_REQUEST_MESSAGE = 'expected an absolute-form http:// request target (use CONNECT for https)';

/** Whether a request announces a body (a refusal then closes the connection instead of reading it). */
export const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/**
 * The answer when nothing of the gateway's came back: it could not be reached (or not in time), or it
 * closed the connection without answering. The latter is also how a refusal of a request whose body the
 * gateway did not read can end: its reset may beat its answer to the relay.
 */
export function gatewayFailure(
  error: NodeJS.ErrnoException,
  connected: boolean,
): {
  status: 502 | 504;
  code: 'gateway_unreachable' | 'gateway_timeout' | 'gateway_closed';
  message: string;
} {
  if (error.code === 'ECONNECT_TIMEOUT' || error.code === 'EIDLE_TIMEOUT') {
    return { status: 504, code: 'gateway_timeout', message: `egress gateway: ${error.code}` };
  }
  if (connected) {
    return {
      status: 502,
      code: 'gateway_closed',
      message: `egress gateway closed the connection without an answer (${error.code ?? error.message})`,
    };
  }
  return {
    status: 502,
    code: 'gateway_unreachable',
    message: `egress gateway: ${error.code ?? error.message}`,
  };
}

export const timeoutError = (message: string, code: 'ECONNECT_TIMEOUT' | 'EIDLE_TIMEOUT') =>
  Object.assign(new Error(message), { code });
