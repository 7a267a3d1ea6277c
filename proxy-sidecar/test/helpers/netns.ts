import { spawnSync } from 'node:child_process';

/** Set BERTH_SKIP_NETNS=1 where `unshare --net` is not allowed (not root, no CAP_SYS_ADMIN). */
export const skipNetns = process.env['BERTH_SKIP_NETNS'] === '1';

/**
 * Runs a refusal scenario (fixtures/*-refusal-scenario.ts) in a fresh network namespace with only `lo`,
 * `addresses` added to it (where its traps listen): if a policy had a bug, the packet would have nowhere to
 * go but a trap on `lo`, never the host's networks. Answers the scenario's `RESULT` line, parsed.
 */
export function runInLoopbackNamespace<R>(scenario: string, addresses: string[]): Record<string, R> {
  const probe = spawnSync('unshare', ['--net', 'true']);
  if (probe.status !== 0) {
    throw new Error(
      'these tests need `unshare --net` (root or CAP_SYS_ADMIN); set BERTH_SKIP_NETNS=1 to skip them',
    );
  }
  const setup = [
    'ip link set lo up',
    ...addresses.map((a) =>
      a.includes(':') ? `ip -6 addr add ${a}/128 dev lo nodad` : `ip addr add ${a}/32 dev lo`,
    ),
  ].join(' && ');
  const run = spawnSync(
    'unshare',
    ['--net', 'sh', '-c', `${setup} && exec "$0" --import tsx "$1"`, process.execPath, scenario],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env } },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (run.status !== 0 || !line)
    throw new Error(`scenario failed (${run.status}): ${run.stderr}\n${run.stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, R>;
}
