import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { BatchRowResult } from '../../../application/batch/certificate-batch';
import { REASON, STATUS_OF } from '../error.filter';

export const NDJSON = 'application/x-ndjson';

/** A row as the client sees it: refusals in the shape of every error answer. */
export function rowBody(result: BatchRowResult): Record<string, unknown> {
  const { refusal, ...row } = result;
  if (!refusal) return row;
  const statusCode = STATUS_OF[refusal.kind];
  return {
    ...row,
    statusCode,
    error: REASON[statusCode],
    message: refusal.message,
    ...(refusal.field ? { field: refusal.field } : {}),
    ...refusal.details,
  };
}

export interface BatchSummary {
  rows: number;
  applied: number;
  unchanged: number;
  refused: number;
  /** The highest global position written or found: pass it as `?minPosition=` to read the results. */
  position: number;
}

class Tally {
  readonly summary: BatchSummary = { rows: 0, applied: 0, unchanged: 0, refused: 0, position: 0 };

  add(result: BatchRowResult): void {
    this.summary.rows++;
    this.summary[result.status]++;
    if (result.position !== undefined)
      this.summary.position = Math.max(this.summary.position, result.position);
  }
}

function wantsNdjson(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((type) => type.trim().toLowerCase().startsWith(NDJSON));
}

async function* ndjsonLines(results: AsyncIterable<BatchRowResult>): AsyncGenerator<string> {
  const tally = new Tally();
  try {
    for await (const result of results) {
      tally.add(result);
      yield `${JSON.stringify({ type: 'row', ...rowBody(result) })}\n`;
    }
    yield `${JSON.stringify({ type: 'summary', ...tally.summary })}\n`;
  } catch {
    // The status line is long gone: say so in the stream. Rows already applied stay applied, and
    // sending the same batch again is safe (each row is recognised and not applied twice).
    yield `${JSON.stringify({
      type: 'error',
      statusCode: 500,
      error: REASON[500],
      message: 'internal error; the rows reported above were processed, send the batch again to finish it',
      ...tally.summary,
    })}\n`;
  }
}

/**
 * Answers a batch: one JSON document `{summary, rows}` once every row is done, or, when the client
 * sends `Accept: application/x-ndjson`, a stream with one line per row as it is decided and then
 * a summary line, so a long batch shows its progress.
 */
export async function sendBatch(
  reply: FastifyReply,
  results: AsyncIterable<BatchRowResult>,
  accept: string | undefined,
): Promise<void> {
  void reply.status(200).header('cache-control', 'no-store');
  if (wantsNdjson(accept)) {
    await reply.header('content-type', `${NDJSON}; charset=utf-8`).send(Readable.from(ndjsonLines(results)));
    return;
  }
  const tally = new Tally();
  const rows: Record<string, unknown>[] = [];
  for await (const result of results) {
    tally.add(result);
    rows.push(rowBody(result));
  }
  await reply
    .header('content-type', 'application/json; charset=utf-8')
    .send({ summary: tally.summary, rows });
}
