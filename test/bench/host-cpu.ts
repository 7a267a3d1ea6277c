import { readFileSync } from 'node:fs';

/** The host's CPU time so far (/proc/stat, all cores): busy and total, in clock ticks. */
export function hostCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

/** The share of the host's CPU that was busy since `before` (0–1). */
export function busySince(before: { busy: number; total: number }): number {
  const now = hostCpu();
  return (now.busy - before.busy) / Math.max(1, now.total - before.total);
}
