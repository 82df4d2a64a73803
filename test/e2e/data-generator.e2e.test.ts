import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateDataSet,
  type GenerationReport,
  REPORT_FILE,
} from '../../src/infrastructure/generator/generate-data-set';
import { eventStoreFile } from '../../src/infrastructure/storage';

/**
 * Every stored event as what the seed fixes: its stream, revision, type and id, not its position.
 * Identity claims are named by a keyed hash whose key each data directory makes anew: those only by
 * their type and revision.
 */
function eventsByStream(dataDir: string): string[] {
  const db = new Database(eventStoreFile(dataDir), { readonly: true });
  try {
    return db
      .prepare<[], { line: string }>(
        "SELECT CASE WHEN stream_id LIKE 'identity-%' THEN 'identity ' || revision || ' ' || type " +
          "ELSE stream_id || ' ' || revision || ' ' || type || ' ' || id END AS line FROM events",
      )
      .all()
      .map((row) => row.line)
      .sort();
  } finally {
    db.close();
  }
}

describe('the data generator (npm run generate), on one lane and on two sharing a writer', () => {
  const dirs: string[] = [];
  const generate = async (threads: number): Promise<{ dir: string; report: GenerationReport }> => {
    const dir = mkdtempSync(join(tmpdir(), `generate-${threads}-`));
    dirs.push(dir);
    return { dir, report: await generateDataSet({ dataDir: dir, scale: 0.002, threads }) };
  };

  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('loads the planned figures, and two lanes store exactly the events one lane does', async () => {
    const started = Date.now();
    const one = await generate(1);
    const two = await generate(2);

    for (const { report } of [one, two]) {
      const { plan, totals } = report;
      expect(plan.applications).toBeGreaterThan(300);
      expect(totals).toMatchObject({
        applications: plan.applications,
        pendingReview: plan.pendingReview,
        rejected: plan.rejected,
        issued: plan.issued,
        collected: plan.handedOver,
      });
    }
    expect(two.report.commands).toBe(one.report.commands);
    const stored = eventsByStream(two.dir);
    expect(stored).toHaveLength(two.report.events);
    expect(stored).toEqual(eventsByStream(one.dir));
    // The report kept beside the data says when it was made (the benchmark shows a kept set's age).
    const kept = JSON.parse(readFileSync(join(two.dir, REPORT_FILE), 'utf8')) as GenerationReport;
    expect(kept).toEqual(two.report);
    const generatedAt = Date.parse(kept.generatedAt ?? '');
    expect(generatedAt).toBeGreaterThanOrEqual(started);
    expect(generatedAt).toBeLessThanOrEqual(Date.now());
  }, 120_000);
});
