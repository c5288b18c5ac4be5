/**
 * Result tables without JupyterLab: rows from columnar data, display formatting, sorting,
 * filtering, CSV, and the window of rows a scrolled viewport needs.
 */

import { IResult } from './model';

export type Row = unknown[];

export interface IColumn {
  name: string;
  dtype: string;
}

export type SortDirection = 'ascending' | 'descending';

export interface ISort {
  column: number;
  direction: SortDirection;
}

/** The columns of a result. */
export function columnsOf(result: IResult): IColumn[] {
  return (result.columns || []).map(([name, dtype]) => ({ name, dtype }));
}

/** Row-major rows from the server's column-major `data`. */
export function rowsOf(result: IResult): Row[] {
  const cols = result.data || [];
  const n = cols.length ? cols[0].length : 0;
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = cols.map(c => c[i]);
  }
  return rows;
}

/** `90061` seconds -> `1d1h`, like kubectl's AGE column. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) {
    return h ? `${d}d${h}h` : `${d}d`;
  }
  if (h > 0) {
    return m ? `${h}h${m}m` : `${h}h`;
  }
  if (m > 0) {
    return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  }
  return `${s}s`;
}

/** The text a cell shows (and the CSV holds). */
export function formatCell(value: unknown, dtype: string): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (dtype === 'timedelta' && typeof value === 'number') {
    return formatDuration(value);
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

function compare(a: unknown, b: unknown): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) {
    return aNull && bNull ? 0 : aNull ? 1 : -1; // missing values last
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') {
    return Number(a) - Number(b);
  }
  const sa = typeof a === 'object' ? JSON.stringify(a) : String(a);
  const sb = typeof b === 'object' ? JSON.stringify(b) : String(b);
  return sa.localeCompare(sb, undefined, { numeric: true });
}

/** Rows sorted by one column (stable; missing values last in both directions). */
export function sortRows(rows: Row[], sort: ISort | null): Row[] {
  if (!sort) {
    return rows;
  }
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((x, y) => {
      const a = x.row[sort.column];
      const b = y.row[sort.column];
      const aNull = a === null || a === undefined;
      const bNull = b === null || b === undefined;
      if (aNull !== bNull) {
        return aNull ? 1 : -1;
      }
      return sign * compare(a, b) || x.index - y.index;
    })
    .map(x => x.row);
}

/** Rows where some cell's shown text contains every word of `query` (case-insensitive). */
export function filterRows(
  rows: Row[],
  columns: IColumn[],
  query: string
): Row[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) {
    return rows;
  }
  return rows.filter(row => {
    const text = row
      .map((v, i) => formatCell(v, columns[i]?.dtype || 'str').toLowerCase())
      .join('\u0000');
    return words.every(w => text.includes(w));
  });
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV (CRLF line ends) of the given rows, header first. */
export function toCSV(columns: IColumn[], rows: Row[]): string {
  const lines = [columns.map(c => csvField(c.name)).join(',')];
  for (const row of rows) {
    lines.push(
      row.map((v, i) => csvField(formatCell(v, columns[i].dtype))).join(',')
    );
  }
  return lines.join('\r\n') + '\r\n';
}

export interface IWindow {
  start: number;
  end: number; // exclusive
  padTop: number;
  padBottom: number;
}

/**
 * The rows a viewport scrolled to `scrollTop` shows, plus `overscan` rows either side, and
 * the spacer heights that stand for the rows left out of the DOM.
 */
export function visibleWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 8
): IWindow {
  if (total <= 0 || rowHeight <= 0) {
    return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  }
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.min(total, Math.max(0, first - overscan));
  const end = Math.min(total, first + count + overscan);
  return {
    start,
    end,
    padTop: start * rowHeight,
    padBottom: (total - end) * rowHeight
  };
}
