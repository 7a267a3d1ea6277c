/**
 * Commands that try to break out of a workspace, run from inside it by both isolation suites: at runtime
 * level (isolation.test.ts, `docker exec`-like) and through the public API (api-isolation.test.ts). Each is
 * an argv; what it prints is noted, and the suites assert on that.
 */

/** Lists the network interfaces: pass its stdout to `interfaceNames`. */
export const LIST_INTERFACES = ['cat', '/proc/net/dev'];

/** The interface names in /proc/net/dev output (after its two header lines). */
export const interfaceNames = (procNetDev: string) =>
  procNetDev
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0]!.trim())
    .filter(Boolean);

/** Connects to a public address: prints `<error code> <ms>`, or `CONNECTED` (network none sends no packet). */
export const CONNECT_OUT = [
  'node',
  '-e',
  "const t=Date.now();require('net').connect(80,'1.1.1.1').on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code,Date.now()-t);process.exit(0)})",
];

/** Forks 150 sleeping children, kills and reaps those that started: prints `<started> <failed>`. */
export const FORK_150 = [
  'python3',
  '-c',
  [
    'import os, signal, time',
    'kids, failed = [], 0',
    'for _ in range(150):',
    '    try:',
    '        pid = os.fork()',
    '    except OSError:',
    '        failed += 1',
    '        continue',
    '    if pid == 0:',
    '        time.sleep(30)',
    '        os._exit(0)',
    '    kids.append(pid)',
    'for k in kids: os.kill(k, signal.SIGKILL)',
    'for k in kids: os.waitpid(k, 0)',
    'print(len(kids), failed, flush=True)',
  ].join('\n'),
];

/** Allocates 3 GB (over the 2 GiB limit, no swap): prints `ALLOCATED` only if the limit failed. */
export const ALLOCATE_3GB = ['python3', '-c', 'b = bytearray(3 * 1024**3); print("ALLOCATED")'];
