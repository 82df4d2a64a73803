import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the calling thread's CPU priority by `steps` nice levels (capped at 19), for threads whose
 * work may wait: the projections (the read models are behind the log by design) and the WAL
 * checkpointer. On a machine whose cores are all busy, a thread woken by a message runs at once on
 * the core of the thread that sent it, if the kernel finds it more deserving; at equal priority
 * the projections thread, woken by every group of appends, kept taking the core from the event
 * loop that answers requests in the middle of its turn (the event loop's `postMessage` calls took
 * ~200 µs each under the command load, against ~12 µs on an idle machine). Niced, it runs in the
 * time the requests leave.
 *
 * Linux only: there each thread has its own nice value, and `setpriority` on the calling thread
 * changes no other. Elsewhere it would lower the whole process, so nothing is done.
 */
export function lowerThisThreadsPriority(steps: number): void {
  if (steps <= 0 || process.platform !== 'linux') return;
  try {
    setPriority(Math.min(19, getPriority() + steps));
  } catch {
    // Not allowed here (a sandbox without setpriority): the thread simply keeps its priority.
  }
}
