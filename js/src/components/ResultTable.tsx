/**
 * A result table: sortable headers, a filter box, "copy as CSV", and windowed rows (only the
 * rows in view, plus a few, are in the DOM; spacers stand for the rest).
 */

import * as React from 'react';

import { IResult } from '../model';
import {
  columnsOf,
  filterRows,
  formatCell,
  ISort,
  rowsOf,
  sortRows,
  toCSV,
  visibleWindow
} from '../table';

export const ROW_HEIGHT = 24;

export interface IResultTableProps {
  result: IResult;
  rowsPerPage: number;
  label: string;
  onCopy: (csv: string) => Promise<void>;
}

export function ResultTable(props: IResultTableProps): JSX.Element {
  const { result, rowsPerPage, label } = props;
  const columns = React.useMemo(() => columnsOf(result), [result]);
  const allRows = React.useMemo(() => rowsOf(result), [result]);
  const [query, setQuery] = React.useState('');
  const [sort, setSort] = React.useState<ISort | null>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [copied, setCopied] = React.useState('');
  const rows = React.useMemo(
    () => sortRows(filterRows(allRows, columns, query), sort),
    [allRows, columns, query, sort]
  );
  const viewport = Math.max(3, rowsPerPage) * ROW_HEIGHT;
  const win = visibleWindow(scrollTop, viewport, ROW_HEIGHT, rows.length);
  const filterId = React.useId();

  const toggleSort = (column: number) => {
    setSort(current =>
      current && current.column === column
        ? {
            column,
            direction:
              current.direction === 'ascending' ? 'descending' : 'ascending'
          }
        : { column, direction: 'ascending' }
    );
  };

  const copy = async () => {
    try {
      await props.onCopy(toCSV(columns, rows));
      setCopied(`Copied ${rows.length} rows as CSV`);
    } catch (error) {
      setCopied(`Copy failed: ${error}`);
    }
  };

  return (
    <div className="jp-kubechat-result" aria-label={label}>
      <div className="jp-kubechat-result-toolbar">
        <label htmlFor={filterId} className="jp-kubechat-visually-hidden">
          Filter rows
        </label>
        <input
          id={filterId}
          className="jp-kubechat-filter"
          type="search"
          placeholder="Filter rows"
          value={query}
          onChange={e => {
            setQuery(e.target.value);
            setScrollTop(0);
          }}
        />
        <span className="jp-kubechat-rowcount" aria-live="polite">
          {rows.length === allRows.length
            ? `${allRows.length} rows`
            : `${rows.length} of ${allRows.length} rows`}
        </span>
        <button
          className="jp-kubechat-button"
          onClick={copy}
          title="Copy the shown rows as CSV"
        >
          Copy as CSV
        </button>
        <span className="jp-kubechat-copied" role="status">
          {copied}
        </span>
      </div>
      <div
        className="jp-kubechat-table-scroll"
        style={{ maxHeight: viewport + ROW_HEIGHT }}
        onScroll={e => setScrollTop((e.target as HTMLElement).scrollTop)}
        tabIndex={0}
        role="region"
        aria-label={`${label}: scrollable table`}
      >
        <table className="jp-kubechat-table" aria-rowcount={rows.length + 1}>
          <thead>
            <tr>
              {columns.map((c, i) => (
                <th
                  key={c.name}
                  scope="col"
                  aria-sort={
                    sort && sort.column === i ? sort.direction : 'none'
                  }
                >
                  <button
                    className="jp-kubechat-sort"
                    onClick={() => toggleSort(i)}
                    title={`Sort by ${c.name}`}
                  >
                    {c.name}
                    {sort && sort.column === i
                      ? sort.direction === 'ascending'
                        ? ' ▲'
                        : ' ▼'
                      : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {win.padTop > 0 && (
              <tr
                aria-hidden="true"
                style={{ height: win.padTop }}
                className="jp-kubechat-spacer"
              />
            )}
            {rows.slice(win.start, win.end).map((row, k) => (
              <tr
                key={win.start + k}
                aria-rowindex={win.start + k + 2}
                style={{ height: ROW_HEIGHT }}
                className="jp-kubechat-row"
              >
                {row.map((v, i) => (
                  <td key={i}>{formatCell(v, columns[i]?.dtype || 'str')}</td>
                ))}
              </tr>
            ))}
            {win.padBottom > 0 && (
              <tr
                aria-hidden="true"
                style={{ height: win.padBottom }}
                className="jp-kubechat-spacer"
              />
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
