import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { bundleAll, bundleTable } from '../../scripts/bundle-lambdas.mjs';
import { controlPlaneSection, runControlPlaneBench } from './control-plane.bench.js';
import { computesdkSection, poolSection, runPoolBench } from './pool.bench.js';
import { runProxyBench } from './proxy.bench.js';
import { runSnapshotBench, snapshotSection } from './snapshot.bench.js';

/**
 * `npm run bench`: every benchmark, side by side against the baseline a user would otherwise use, in one
 * run; prints the tables and writes BENCHMARKS.md.
 */
async function main() {
  const sections: string[] = [];
  console.log('[bench] Lambda bundles (as deployed)…');
  sections.push(['## Lambda bundles', '', '```', bundleTable(await bundleAll()), '```', ''].join('\n'));
  console.log(sections.at(-1));

  // The proxy first: the control-plane run leaves containers and DynamoDB Local winding down for a while.
  console.log('[bench] egress: direct vs proxy-sidecar vs gateway vs relay → gateway vs tinyproxy…');
  sections.push(await runProxyBench());
  console.log(sections.at(-1));

  console.log('[bench] control plane: cold acquire, exec, files (local Docker)…');
  const cp = await runControlPlaneBench();
  sections.push(controlPlaneSection(cp));
  console.log(sections.at(-1));

  console.log('[bench] file snapshots: 200 MiB save and restore vs tar + copy (local Docker)…');
  sections.push(snapshotSection(await runSnapshotBench()));
  console.log(sections.at(-1));

  console.log('[bench] warm pool vs cold starts, one at a time and in bursts; computesdk/benchmarks’ modes…');
  const pool = await runPoolBench();
  sections.push(poolSection(pool), computesdkSection(pool));
  console.log(sections.at(-2));
  console.log(sections.at(-1));

  const docker = (() => {
    try {
      return execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
        encoding: 'utf8',
      }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const header = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Docker ${docker}. Re-run it to reproduce every figure.`,
    '',
    'On this shared 2-core VM, whole runs differ by up to half between hours (other tenants take the CPU: the same code measured a pool hit at p50 54 ms in one run and 78 ms in the next): compare rows within one run, not across runs.',
    '',
  ].join('\n');
  await writeFile(new URL('../../BENCHMARKS.md', import.meta.url), [header, ...sections].join('\n'));
  console.log('[bench] wrote BENCHMARKS.md');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
