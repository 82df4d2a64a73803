import { setFlagsFromString } from 'node:v8';

/**
 * How far, in percent, V8 lets a heap grow past what survived its last full collection before it
 * collects again. By default it picks a factor of up to 4 when the machine's memory allows (the
 * heap limit here is ~4 GB of 24): under the benchmark's phases the main thread's heap, ~50 MB
 * live, reached 160–210 MB, and the service's peak went over its 512 MB target in some runs
 * (491–564 MB). At 50 %: 406–411 MB, its heap ~110 MB, with the command load as fast (3,204–3,304
 * against 3,059–3,317 commands/s, alternating, one run of each in a slow spell).
 */
const HEAP_GROWING_PERCENT = 50;

/**
 * Applies to every heap of the process, its threads' too. V8 reads this flag each time it sets the
 * next collection's limit, so it takes effect when set at start, after the heap exists.
 */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
