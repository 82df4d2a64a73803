/**
 * CSV as RFC 4180 describes it: fields separated by commas, records by CRLF (a bare LF or CR is
 * accepted too), fields that hold commas, quotes or line breaks enclosed in double quotes with
 * inner quotes doubled. A UTF-8 byte order mark at the start is skipped.
 */

export interface CsvRecord {
  /** The 1-based line on which the record starts (quoted fields may span lines). */
  readonly line: number;
  readonly fields: readonly string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'CsvSyntaxError';
  }
}

const BOM = '\uFEFF';

/** Parses CSV text into records; throws CsvSyntaxError at the first malformed quote. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.startsWith(BOM) ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let recordLine = 1;
  const n = text.length;
  if (i >= n) return records;

  for (;;) {
    // One field starts at i.
    let value = '';
    if (text[i] === '"') {
      const openedOn = line;
      i++;
      for (;;) {
        if (i >= n) throw new CsvSyntaxError(openedOn, 'a quoted field is never closed');
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\r' || c === '\n') {
          if (c === '\r' && text[i + 1] === '\n') {
            value += '\r\n';
            i += 2;
          } else {
            value += c;
            i++;
          }
          line++;
          continue;
        }
        value += c;
        i++;
      }
      if (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        throw new CsvSyntaxError(line, 'a closing quote must be followed by a comma or the end of the line');
      }
    } else {
      const start = i;
      while (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') {
          throw new CsvSyntaxError(
            line,
            'a quote inside an unquoted field; enclose the field in quotes and double the inner quote',
          );
        }
        i++;
      }
      value = text.slice(start, i);
    }
    fields.push(value);

    if (i >= n) {
      records.push({ line: recordLine, fields });
      return records;
    }
    const separator = text[i]!;
    i++;
    if (separator === ',') continue;
    // A line break ends the record.
    if (separator === '\r' && text[i] === '\n') i++;
    records.push({ line: recordLine, fields });
    line++;
    recordLine = line;
    fields = [];
    if (i >= n) return records;
  }
}

export type CsvCell = string | number | null | undefined;

/** Spreadsheet programs run a cell that starts like this as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

function quote(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return String(cell);
  // Text that a spreadsheet would take for a formula gets a leading apostrophe (OWASP's advice).
  const text = FORMULA_START.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Writes records as CSV: CRLF line ends and, with `bom`, a UTF-8 byte order mark first so that
 * spreadsheet programs read the file as UTF-8 (Chinese text shows correctly).
 */
export function toCsv(rows: readonly (readonly CsvCell[])[], options: { bom?: boolean } = {}): string {
  const body = rows.map((row) => row.map(quote).join(',')).join('\r\n');
  return `${options.bom ? BOM : ''}${body}\r\n`;
}
