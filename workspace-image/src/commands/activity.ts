/**
 * How many commands are running right now, reported by /health for operators and tests. The control plane
 * never extends a lease on it (the agent is untrusted; it follows the calls it keeps open itself). Kept in
 * its own tiny module: the health route loads before the exec code.
 */
let running = 0;

export const commandStarted = () => {
  running++;
};
export const commandEnded = () => {
  running = Math.max(0, running - 1);
};
export const runningCommands = () => running;
