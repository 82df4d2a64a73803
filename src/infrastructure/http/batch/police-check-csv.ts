import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { MAX_BATCH_ROWS, type CertificateBatchRow } from '../../../application/batch/certificate-batch';
import { invalidField, notFound } from '../../../domain/errors';
import { CsvSyntaxError, parseCsv, type CsvRecord } from '../../formats/csv';

const COLUMNS = ['certificateId', 'outcome', 'reference'] as const;
type Column = (typeof COLUMNS)[number];
const OUTCOMES = ['clear', 'record_found'] as const;
const ID = /^[A-Za-z0-9-]{1,64}$/;
const MAX_REFERENCE = 100;

function bad(message: string, extra: Record<string, unknown> = {}): BadRequestException {
  return new BadRequestException({ message, field: 'body', ...extra });
}

/** Column positions: from a header row naming the columns (in any order), else the documented order. */
function columnsOf(first: CsvRecord): { index: Record<Column, number>; hasHeader: boolean } {
  const names = first.fields.map((field) => field.trim().toLowerCase());
  if (!names.includes('certificateid')) {
    return { index: { certificateId: 0, outcome: 1, reference: 2 }, hasHeader: false };
  }
  const index = {} as Record<Column, number>;
  for (const column of COLUMNS) {
    const at = names.indexOf(column.toLowerCase());
    if (at === -1) {
      throw bad(`body's header row must name the columns ${COLUMNS.join(', ')} (missing ${column})`, {
        line: first.line,
      });
    }
    index[column] = at;
  }
  return { index, hasHeader: true };
}

function rowOf(record: CsvRecord, index: Record<Column, number>): CertificateBatchRow {
  const cell = (column: Column) => (record.fields[index[column]] ?? '').trim();
  const certificateId = cell('certificateId');
  const outcome = cell('outcome').toLowerCase();
  const reference = cell('reference');
  const row = (change: CertificateBatchRow['change']): CertificateBatchRow => ({
    line: record.line,
    certificateId,
    change,
    identity: ['police-check', certificateId, outcome, reference],
  });
  const used = new Set(Object.values(index));
  const extra = record.fields.filter((field, at) => !used.has(at) && field.trim() !== '');
  if (extra.length > 0) {
    return row(invalidField('row', `has ${record.fields.length} fields; expected ${COLUMNS.join(',')}`));
  }
  if (certificateId === '') return row(invalidField('certificateId', 'is required'));
  if (!ID.test(certificateId))
    return row(notFound(`no certificate has the id ${JSON.stringify(certificateId)}`));
  if (!(OUTCOMES as readonly string[]).includes(outcome)) {
    return row(invalidField('outcome', `must be ${OUTCOMES.join(' or ')}`));
  }
  if (reference === '') return row(invalidField('reference', 'is required'));
  if (reference.length > MAX_REFERENCE) {
    return row(invalidField('reference', `must be at most ${MAX_REFERENCE} characters`));
  }
  return row({
    type: 'RecordPoliceComparison',
    data: { certificateId, outcome: outcome as (typeof OUTCOMES)[number], reference },
  });
}

/**
 * Reads the police liaison's CSV file (certificateId,outcome,reference; a header row optional) into
 * batch rows. A file that is not CSV at all is refused whole (400, nothing written); a row with a bad
 * value becomes a refused row, reported with the others.
 */
export function policeCheckRows(body: string): CertificateBatchRow[] {
  if (body.includes('\uFFFD')) {
    throw bad('body must be UTF-8 text (save the file as "CSV UTF-8")');
  }
  let records: CsvRecord[];
  try {
    records = parseCsv(body);
  } catch (error) {
    if (error instanceof CsvSyntaxError)
      throw bad(`body is not valid CSV: ${error.message}`, { line: error.line });
    throw error;
  }
  records = records.filter((record) => record.fields.some((field) => field.trim() !== ''));
  if (records.length === 0) throw bad(`body must hold at least one row: ${COLUMNS.join(',')}`);
  const { index, hasHeader } = columnsOf(records[0]!);
  const data = hasHeader ? records.slice(1) : records;
  if (data.length === 0) throw bad(`body must hold at least one row after the header`);
  if (data.length > MAX_BATCH_ROWS) {
    throw new PayloadTooLargeException({
      message: `body has ${data.length} rows; at most ${MAX_BATCH_ROWS} per batch: split the file`,
      field: 'body',
    });
  }
  return data.map((record) => rowOf(record, index));
}
