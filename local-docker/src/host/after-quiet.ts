/**
 * Runs `fn` once requests pause for `quietMs`, and at the latest `maxDelayMs` after the first request it has
 * not served. The local host's pool refill goes through it: members started during a burst of claims would
 * take the CPU the claimed workspaces' first commands need (a cold start costs several times a claim), so the
 * refill waits for the burst to pass — never longer than `maxDelayMs` under steady demand.
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
