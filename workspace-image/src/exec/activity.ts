/**
 * How many commands are running right now. /health reports it so the control plane's sweep can tell a
 * workspace whose lease ran out while a long command was still working (activity: extend the lease) from one
 * that sits idle (end it). Kept in its own tiny module: the health route loads before the exec code.
 */
let running = 0;

export const commandStarted = () => {
  running++;
};
export const commandEnded = () => {
  running = Math.max(0, running - 1);
};
export const runningCommands = () => running;
