/**
 * The 200 MiB workspace tree the snapshot e2e and bench use: 4 × 1,024 random files of 4 KiB, 64 + 64 + 56
 * MiB of random data, a hard link, relative symlinks (one dangling), an empty file and a 150-character name.
 * Run with `sh -c` in the workspace; prints the tree's apparent size in bytes.
 */
export const MAKE_TREE = `set -e; cd /workspace
mkdir -p proj/src proj/node_modules/.bin data
for d in a b c d; do mkdir -p small/$d; head -c 4M /dev/urandom | split -b 4k -a 4 - small/$d/f; done
head -c 64M /dev/urandom > data/big1.bin
head -c 64M /dev/urandom > data/big2.bin
head -c 56M /dev/urandom > data/big3.bin
ln data/big3.bin data/big3.hardlink
ln -s ../../../data/big1.bin proj/node_modules/.bin/tool
ln -s ../data proj/data-link
ln -s does-not-exist proj/dangling
: > empty.txt
echo long > "proj/src/$(printf 'n%.0s' $(seq 150)).txt"
du -sb --apparent-size . | cut -f1`;

/** One hash over /workspace: every path with its type, size or link target, and every file's SHA-256. */
export const TREE_HASH = `cd /workspace && { find . -mindepth 1 \\( -type l -printf 'l %p %l\\n' \\) -o \\( -type d -printf 'd %p\\n' \\) -o \\( -type f -printf 'f %p %s\\n' \\) | LC_ALL=C sort; find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-64`;

/** Peak (VmHWM) and current (VmRSS) resident set of a process, bytes. */
export async function memoryOf(pid: number): Promise<{ peak: number; now: number }> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { peak: kib('VmHWM'), now: kib('VmRSS') };
}
