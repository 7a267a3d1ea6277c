/**
 * Start time of the local stand-ins and per-operation latency of the stores against them.
 * Run: `npx tsx packages/aws/bench/store-latency.ts` (from the repo root). Prints one JSON line per figure.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoWorkspaceStore } from '../src/dynamodb/dynamo-workspace-store.js';
import { ensureTable } from '../src/dynamodb/table-definition.js';
import { startDynamoDbLocal } from '../src/local/dynamodb-local.js';
import { startFauxqs } from '../src/local/fauxqs.js';
import { localClientConfig } from '../src/local/local-aws-config.js';
import { ensureBucket } from '../src/s3/ensure-bucket.js';
import { S3BlobStore } from '../src/s3/s3-blob-store.js';
import { makeWorkspace } from '../test/support/workspace-fixture.js';

const WARMUP = 20;
const print = (figure: string, value: unknown) => console.log(JSON.stringify({ figure, ...Object(value) }));

function percentiles(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Number(s[Math.min(s.length - 1, Math.floor(s.length * q))]!.toFixed(2));
  return { n: s.length, p50Ms: at(0.5), p95Ms: at(0.95) };
}

async function time(figure: string, n: number, op: (i: number) => Promise<unknown>) {
  for (let i = 0; i < WARMUP; i++) await op(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op(WARMUP + i);
    samples.push(performance.now() - t0);
  }
  print(figure, percentiles(samples));
}

const starts: number[] = [];
for (let i = 0; i < 3; i++) {
  const d = await startDynamoDbLocal();
  starts.push(d.startupMs);
  await d.stop();
}
const db = await startDynamoDbLocal();
starts.push(db.startupMs);
print('dynamodb-local start', { runsMs: starts, ...percentiles(starts) });

const ddb = new DynamoDBClient(localClientConfig(db.endpoint));
await ensureTable(ddb, 'bench');
const store = new DynamoWorkspaceStore({ tableName: 'bench', client: ddb });
const created = Array.from({ length: 300 }, (_, i) => makeWorkspace({ tenantId: 'bench' }, Date.now() + i));
await time('store.createForConversation (TransactWriteItems)', 200, (i) =>
  store.createForConversation(created[i]!, { replaces: null }),
);
const ws = created[0]!;
await time('store.get (GetItem, consistent)', 300, () => store.get(ws.id, { now: Date.now() }));
let version = ws.version;
await time('store.update expiresAt (UpdateItem)', 300, async () => {
  version = (await store.update(ws.id, version, { expiresAt: Date.now() + 60_000 })).version;
});
await time('store.list limit 20 of 220 (Query)', 100, () =>
  store.list({ tenantId: 'bench', limit: 20, now: Date.now() }),
);
await time('store.listDue limit 50 (2 Queries)', 100, () => store.listDue(Date.now(), 50));
ddb.destroy();
await db.stop();

const fauxqs = await startFauxqs();
print('fauxqs start', { ms: fauxqs.startupMs });
const s3 = new S3Client({ ...localClientConfig(fauxqs.endpoint), forcePathStyle: true });
await ensureBucket(s3, 'bench');
const blobs = new S3BlobStore({ bucket: 'bench', client: s3 });
const mib = Buffer.alloc(1 << 20, 7);
await time('blobs.put 1 MiB', 50, (i) => blobs.put(`k${i}`, mib));
await time('blobs.get 1 MiB', 50, (i) => blobs.get(`k${i}`));
s3.destroy();
await fauxqs.stop();
