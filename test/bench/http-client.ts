import http from 'node:http';

/** A keep-alive HTTP client with as little overhead as possible, so the benchmark measures Berth, not the client. */
export class BenchClient {
  private readonly pool: http.Agent;
  /** `maxSockets`: connections at once (default 16); a burst needs one per request, or it queues here. */
  constructor(
    private readonly base: string,
    private readonly key: string,
    opts: { maxSockets?: number } = {},
  ) {
    this.pool = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16 });
  }

  request(
    method: string,
    path: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
    const url = new URL(path, this.base);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          agent: this.pool,
          headers: {
            authorization: `Bearer ${this.key}`,
            ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async json<T>(method: string, path: string, value?: unknown): Promise<T> {
    const r = await this.request(method, path, value === undefined ? undefined : JSON.stringify(value), {
      'content-type': 'application/json',
    });
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${r.body.toString()}`);
    return JSON.parse(r.body.toString()) as T;
  }

  close() {
    this.pool.destroy();
  }
}
