export interface FauxqsOptions {
  /** Port on 127.0.0.1; 0 (the default) lets the OS choose. */
  port?: number;
}

export interface Fauxqs {
  /** `http://127.0.0.1:<port>`; S3 clients need `forcePathStyle: true` against it. */
  endpoint: string;
  port: number;
  /** From loading the module to listening. */
  startupMs: number;
  /** Closes the server; its in-memory objects are gone. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the fauxqs S3 emulator in this process, in memory, on loopback only (fauxqs' own `startFauxqs`
 * listens on every interface, which would expose an unauthenticated store to the network).
 * Create buckets through the S3 API (`ensureBucket`).
 */
export async function startFauxqs(opts: FauxqsOptions = {}): Promise<Fauxqs> {
  const started = performance.now();
  // Loaded lazily: it is a development dependency, and Lambda bundles of this package must not need it.
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false });
  await app.listen({ port: opts.port ?? 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('fauxqs is not listening on TCP');
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    startupMs: Math.round(performance.now() - started),
    stop: () => (stopped ??= app.close().then(() => undefined)),
  };
}
