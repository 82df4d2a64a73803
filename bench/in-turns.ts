import autocannon from 'autocannon';
import { type LoadResult, runSeconds, summariseRun } from './http-load';
import { cpuMsOf } from './measure';

export type Side = 'ours' | 'baseline';

/**
 * The order of `turns` turns of each side: baseline, ours, ours, baseline, baseline, ours, … (ABBA).
 * Each side is as often first as second in a pair of turns, so a machine whose speed drifts steadily
 * through the measurement favours neither.
 */
export function turnOrder(turns: number): Side[] {
  const order: Side[] = [];
  for (let pair = 0; pair < turns; pair++) {
    order.push(...(pair % 2 === 0 ? (['baseline', 'ours'] as const) : (['ours', 'baseline'] as const)));
  }
  return order;
}

/** Each side's load over all its turns, and the CPU our server (`pid`) and this process used in ours. */
export interface InTurns {
  readonly ours: LoadResult;
  readonly baseline: LoadResult;
  readonly cpu: { readonly serviceCpuMs: number | null; readonly loadCpuMs: number };
  /** Each turn's side and requests answered per second, in the order they ran. */
  readonly turns: readonly { readonly side: Side; readonly perSecond: number }[];
}

/**
 * The same GET load on our server and on a baseline server, in turns (see turnOrder): `seconds` of
 * load on each side in all, cut into `turns` turns. Measured one after the other, the two sides of a
 * row saw the machine a minute apart, and its speed moves by a fifth from one minute to the next
 * (docs/performance.md); in turns of a few seconds both see the same machine. Latency percentiles
 * are of every request of the side (autocannon's histograms of the turns merged), rates of all its
 * turns' time.
 */
export async function getLoadInTurns(
  urls: Record<Side, string>,
  paths: readonly string[],
  options: { connections: number; seconds: number; turns: number; pid?: number },
): Promise<InTurns> {
  const results: Record<Side, autocannon.Result[]> = { ours: [], baseline: [] };
  const turns: { side: Side; perSecond: number }[] = [];
  let serviceCpuMs: number | null = 0;
  let loadCpuMs = 0;
  let next = 0;
  for (const side of turnOrder(options.turns)) {
    const serviceBefore = side === 'ours' && options.pid !== undefined ? cpuMsOf(options.pid) : null;
    const loadBefore = process.cpuUsage();
    const result = await autocannon({
      url: urls[side],
      connections: options.connections,
      duration: options.seconds / options.turns,
      // Kept raw (with its latency histogram) to be merged with the side's other turns.
      skipAggregateResult: true,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => {
            request.path = paths[next++ % paths.length]!;
            return request;
          },
        },
      ],
    });
    results[side].push(result);
    turns.push({ side, perSecond: result['2xx'] / runSeconds(result) });
    if (side !== 'ours') continue;
    const loadUsed = process.cpuUsage(loadBefore);
    loadCpuMs += (loadUsed.user + loadUsed.system) / 1000;
    const serviceAfter = options.pid === undefined ? null : cpuMsOf(options.pid);
    serviceCpuMs =
      serviceCpuMs === null || serviceBefore === null || serviceAfter === null
        ? null
        : serviceCpuMs + serviceAfter - serviceBefore;
  }
  return {
    ours: merged(urls.ours, results.ours),
    baseline: merged(urls.baseline, results.baseline),
    cpu: { serviceCpuMs, loadCpuMs },
    turns,
  };
}

/** The time of the turns together. */
function secondsOf(results: readonly autocannon.Result[]): number {
  let seconds = 0;
  for (const result of results) seconds += runSeconds(result);
  return seconds;
}

/** autocannon's merging of raw results (the one its workers use), which its types leave out. */
const aggregateResult = (
  autocannon as unknown as {
    aggregateResult(results: autocannon.Result[], options: { url: string }): autocannon.Result;
  }
).aggregateResult;

function merged(url: string, results: readonly autocannon.Result[]): LoadResult {
  // Counts summed and latency histograms merged; its start, finish and duration are the first turn's.
  return summariseRun(aggregateResult([...results], { url }), secondsOf(results));
}
