import { readdirSync, readFileSync } from 'node:fs';

/**
 * The nice value of each of this process's threads now, from /proc (Linux): field 19 of each
 * thread's stat line, counted after the command name, which may itself hold spaces or brackets.
 */
export function niceValuesOfThreads(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      return []; // the thread ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(fields[16])];
  });
}

/** Linux only: elsewhere nothing is lowered (see lowerThisThreadsPriority), and there is no /proc. */
export const onLinux = process.platform === 'linux' ? it : it.skip;
