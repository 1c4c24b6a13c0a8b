// Which process owns an intent or a lock, told apart from a later process that
// got the same pid: the pid plus its start time (field 22 of /proc/PID/stat,
// in clock ticks since boot) and the boot id.
import { readFileSync } from 'node:fs';
import { isErrno } from '../errors.ts';

export type ProcessIdentity = { pid: number; start: string | null; boot: string | null };

function startOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ESRCH')) return null;
    throw err;
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, start: startOf(process.pid), boot: bootId() };
}

/** Whether the process that wrote `p` is still running (after a reboot it is not). */
export function isRunning(p: ProcessIdentity): boolean {
  if (p.boot !== null && p.boot !== bootId()) return false;
  const start = startOf(p.pid);
  return start !== null && (p.start === null || start === p.start);
}
