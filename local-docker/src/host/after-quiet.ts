/**
 * Runs `fn` once requests pause for `quietMs`, and at the latest `maxDelayMs` after the first request it has
 * not served. The local host's pool refill after claims goes through it: a replacement member started at once
 * takes the CPU the claimed workspace's first command needs (a container start costs several times a claim;
 * measured: a pool hit's create → `node -v` p50 58 ms with the wait, 66–74 ms without, on 2 cores), so the
 * refill waits for the claims to pause — never longer than `maxDelayMs` under steady demand.
 */
export function afterQuiet(fn: () => void, opts: { quietMs: number; maxDelayMs: number }) {
  let quiet: NodeJS.Timeout | undefined;
  let latest: NodeJS.Timeout | undefined;
  const cancel = () => {
    clearTimeout(quiet);
    clearTimeout(latest);
    quiet = latest = undefined;
  };
  const fire = () => {
    cancel();
    fn();
  };
  return {
    request() {
      clearTimeout(quiet);
      quiet = setTimeout(fire, opts.quietMs).unref();
      latest ??= setTimeout(fire, opts.maxDelayMs).unref();
    },
    cancel,
  };
}
