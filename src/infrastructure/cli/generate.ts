import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { DEFAULT_SEED, generateDataSet, type Progress } from '../generator/generate-data-set';
import { parseScale } from '../generator/plan';

const USAGE = `usage: npm run generate -- [--scale shanghai|FRACTION] [--seed TEXT] [--concurrency N] [--threads N]

Loads a data set shaped like Shanghai's 2015 figures into DATA_DIR (default ./data), which must be
empty, through the real command handlers; then rebuilds the read models.
  --scale shanghai   the whole city: 600 agencies, 172,565 applications (the default)
  --scale 0.01       one hundredth of it
  --seed TEXT        another reproducible data set (default ${DEFAULT_SEED})
  --concurrency N    cohorts of 40 workers in flight at once (default 24)
  --threads N        threads the cohorts are shared out between (default: 1 below 100,000
                     commands; 2 below 1,000,000 if there are two cores; from 1,000,000 on, one
                     more than the cores, at most 3)`;

/** A one-line progress bar on a terminal; a line every 10 % otherwise (CI logs). */
function progressBar(): (progress: Progress) => void {
  const started = Date.now();
  let lastTenth = -1;
  return ({ phase, done, total }) => {
    const fraction = total === 0 ? 1 : Math.min(1, done / total);
    const elapsed = (Date.now() - started) / 1000;
    if (phase === 'rebuild') {
      if (done === 0) process.stderr.write(`\nrebuilding read models…\n`);
      return;
    }
    const rate = elapsed > 0 ? Math.round(done / elapsed) : 0;
    const text = `${(fraction * 100).toFixed(1).padStart(5)} % ${done.toLocaleString('en')}/${total.toLocaleString('en')} commands, ${rate.toLocaleString('en')}/s, ${elapsed.toFixed(0)} s`;
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
    } else if (Math.floor(fraction * 10) > lastTenth) {
      lastTenth = Math.floor(fraction * 10);
      process.stderr.write(`${text}\n`);
    }
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: 'shanghai' },
      seed: { type: 'string', default: DEFAULT_SEED },
      concurrency: { type: 'string' },
      threads: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const { dataDir } = loadConfig();
  const scale = parseScale(values.scale!);
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new Error(`--concurrency must be a positive whole number, got '${values.concurrency}'`);
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    throw new Error(`--threads must be a positive whole number, got '${values.threads}'`);
  }
  console.log(`generating scale ${scale} (seed ${values.seed}) into ${dataDir}`);
  const report = await generateDataSet({
    dataDir,
    scale,
    seed: values.seed,
    concurrency,
    ...(threads === undefined ? {} : { threads }),
    onProgress: progressBar(),
  });
  const { plan, totals } = report;
  const rows: [string, number, number][] = [
    ['applications', plan.applications, totals.applications],
    ['pending review', plan.pendingReview, totals.pendingReview],
    ['rejected', plan.rejected, totals.rejected],
    ['issued', plan.issued, totals.issued],
    ['handed over', plan.handedOver, totals.collected],
  ];
  console.log(
    `\nloaded ${plan.agencies} agencies in ${plan.districts} districts: ${report.commands.toLocaleString('en')} commands, ` +
      `${report.events.toLocaleString('en')} events in ${report.loadSeconds.toFixed(1)} s ` +
      `(${Math.round(report.commands / report.loadSeconds).toLocaleString('en')} commands/s); ` +
      `read models rebuilt in ${report.rebuildSeconds.toFixed(1)} s ` +
      `(${Math.round(report.events / report.rebuildSeconds).toLocaleString('en')} events/s)`,
  );
  console.log('\n                   planned   in the stats read model');
  for (const [label, planned, actual] of rows) {
    console.log(`${label.padEnd(16)} ${String(planned).padStart(9)}   ${String(actual).padStart(9)}`);
  }
  if (rows.some(([, planned, actual]) => planned !== actual)) {
    throw new Error('the read models do not show the planned figures');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  if (process.env.DEBUG) console.error(error);
  process.exit(1);
});
