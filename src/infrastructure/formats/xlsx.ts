import type { CsvCell } from './csv';

export interface SheetColumn {
  readonly header: string;
  /** Width in characters. */
  readonly width: number;
}

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * One worksheet as an .xlsx file (Office Open XML), written with exceljs. Strings stay text cells, so
 * 18-digit ID numbers and codes keep every digit; numbers are numeric cells. The header row is bold
 * and frozen.
 *
 * exceljs is loaded on the first export, not with the module: its ~650 modules took ~0.2 s of every
 * start of the application (the service, each of the data generator's threads, each test's app), a
 * third of loading it all, for a file only the roster's export writes.
 */
export async function toXlsx(
  sheetName: string,
  columns: readonly SheetColumn[],
  rows: readonly (readonly CsvCell[])[],
): Promise<Buffer> {
  const { Workbook } = await import('exceljs');
  const workbook = new Workbook();
  workbook.creator = 'home-service certificate registry';
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({ header: column.header, width: column.width }));
  sheet.getRow(1).font = { bold: true };
  for (const row of rows) sheet.addRow(row.map((cell) => cell ?? null));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
