/**
 * Cells we write into CSV files that people open in a spreadsheet (rejected import rows, exports).
 * A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
 * Excel, LibreOffice and Google Sheets, so a voter or a CSV could make an organizer's spreadsheet
 * run one (OWASP "CSV injection"). Such a cell gets a leading apostrophe: spreadsheets show the
 * text as typed and run nothing. A phone in E.164 form ("+15551234567") is shown as text too.
 */

const FORMULA_STARTS = new Set(["=", "+", "-", "@", "\t", "\r"]);

/** `value` as a cell no spreadsheet will run. */
export function neutralizeSpreadsheetCell(value: string): string {
  return value.length > 0 && FORMULA_STARTS.has(value[0]!) ? `'${value}` : value;
}
