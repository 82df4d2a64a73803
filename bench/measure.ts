import { readFileSync } from 'node:fs';

/** Small measuring helpers shared by the benchmark's parts. */

export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The q-quantile (0–1) of samples, nearest-rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** The run whose `key` is the median (the lower of the middle two for an even count). */
export function medianBy<T>(runs: readonly T[], key: (run: T) => number): T {
  if (runs.length === 0) throw new Error('no runs');
  return [...runs].sort((a, b) => key(a) - key(b))[Math.floor((runs.length - 1) / 2)]!;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export function summarise(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    max: samples.length === 0 ? NaN : Math.max(...samples),
  };
}

/** Runs `work` repeatedly for about `seconds`, returning how many times it ran per second. */
export function ratePerSecond(
  seconds: number,
  work: (i: number) => void,
): { count: number; perSecond: number } {
  const started = now();
  const until = started + seconds * 1000;
  let count = 0;
  while (now() < until) work(count++);
  return { count, perSecond: count / ((now() - started) / 1000) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident and peak resident memory of a process, in MB, from /proc (Linux). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
    return { rssMb: field('VmRSS'), peakMb: field('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc (Linux). */
export function cpuMsOf(pid: number): number | null {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Where the CPU went while `work` ran: the service's (every thread) and this process's (the load
 * generator), in ms. Per request, these hold better than rates on a machine whose speed drifts.
 */
export async function withCpu<T>(
  servicePid: number,
  work: () => Promise<T>,
): Promise<{ result: T; serviceCpuMs: number | null; loadCpuMs: number }> {
  const service = cpuMsOf(servicePid);
  const load = process.cpuUsage();
  const result = await work();
  const serviceAfter = cpuMsOf(servicePid);
  const loadUsed = process.cpuUsage(load);
  return {
    result,
    serviceCpuMs: service === null || serviceAfter === null ? null : serviceAfter - service,
    loadCpuMs: (loadUsed.user + loadUsed.system) / 1000,
  };
}
