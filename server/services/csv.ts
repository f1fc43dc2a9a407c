/**
 * CSV as RFC 4180 writes it (CRLF, quoted when needed), for files people open in a
 * spreadsheet. Text starting with = + - @, a tab or a carriage return gets a leading ' so a
 * spreadsheet shows it instead of running it as a formula (OWASP "CSV injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows to a CSV document, with a byte-order mark so spreadsheet programs read it as UTF-8. */
export function toCsv(rows: (string | number)[][]): string {
  return '\uFEFF' + rows.map((row) => row.map(csvCell).join(',') + '\r\n').join('');
}
