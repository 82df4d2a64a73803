import { Workbook } from 'exceljs';
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
 */
export async function toXlsx(
  sheetName: string,
  columns: readonly SheetColumn[],
  rows: readonly (readonly CsvCell[])[],
): Promise<Buffer> {
  const workbook = new Workbook();
  workbook.creator = 'home-service certificate registry';
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({ header: column.header, width: column.width }));
  sheet.getRow(1).font = { bold: true };
  for (const row of rows) sheet.addRow(row.map((cell) => cell ?? null));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
