import { execFileSync } from 'node:child_process';
import os from 'node:os';

/**
 * Run in a child process: takes `megabytes` of fresh memory in chunks, writes every page of it, and
 * prints how much it wrote and its resident memory then (which counts only pages written); its exit
 * gives all of it back.
 */
const TOUCH = `
const megabytes = Number(process.argv[1]);
const chunk = 64 * 1024 * 1024;
const held = [];
let written = 0;
for (let left = megabytes * 1024 * 1024; left > 0; left -= chunk) {
  const buffer = Buffer.allocUnsafeSlow(Math.min(chunk, left));
  buffer.fill(1);
  written += buffer.length;
  held.push(buffer);
}
const resident = process.memoryUsage().rss / 1024 / 1024;
process.stdout.write(JSON.stringify({ written: written / 1024 / 1024, resident }));
`;

export interface WarmedMemory {
  /** Megabytes taken, written and given back. */
  readonly megabytes: number;
  /** The child's resident memory once it had written them, in MB. */
  readonly residentMegabytes: number;
  readonly seconds: number;
}

/**
 * Makes the machine's free memory quick to take again before a measurement that takes a lot of it (a
 * rebuild: ~1 GB of heap and ~1 GB of page cache for the files it writes at Shanghai scale), by
 * taking `megabytes` in a child process, writing it and giving it back.
 *
 * Why: this machine is a virtual machine whose host takes back the memory its guest leaves free
 * (free page reporting, in 2 MB blocks), and the guest then hands out memory it has not reported
 * first. Memory the host took back costs a fault in the host when it is next written: ~6 µs a page
 * more here (2,000 MB written in 0.73–0.80 s, but in 3.85 s once a copy had used up the rest). The
 * benchmark copies the data set (~1.8 GB) just before its first rebuild round, which uses up the
 * memory not yet reported; that round then wrote into reported memory, and took 1–2.5 s more,
 * nearly all of it kernel time (docs/performance.md, item 124). Later rounds took the memory the
 * round before gave back. Written and given back just before each round, the rounds start alike (not
 * perfectly: the host may take back part of it again while the rebuild runs). The seconds this
 * takes tell how much had been taken back: ~0.4 s a GB when none had been, 1.1–2.8 s a GB before
 * the benchmark's rounds.
 *
 * Never more than half of the memory free at the time.
 */
export function warmFreeMemory(megabytes: number): WarmedMemory {
  const wanted = Math.max(1, Math.floor(Math.min(megabytes, os.freemem() / 1024 / 1024 / 2)));
  const started = process.hrtime.bigint();
  const output = execFileSync(process.execPath, ['-e', TOUCH, String(wanted)], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { written, resident } = JSON.parse(output) as { written: number; resident: number };
  if (written !== wanted) throw new Error(`warming free memory wrote ${written} MB, not ${wanted}`);
  return { megabytes: written, residentMegabytes: resident, seconds };
}
