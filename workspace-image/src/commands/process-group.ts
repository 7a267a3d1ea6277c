/**
 * SIGKILLs a command's whole process group (it leads its own session, so pgid = pid): grandchildren included.
 * A group already gone (ESRCH) is not an error.
 */
export function killProcessGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}
