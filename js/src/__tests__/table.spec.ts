import { describe, expect, it } from 'vitest';

import { IResult } from '../model';
import {
  columnsOf,
  filterRows,
  formatCell,
  formatDuration,
  rowsOf,
  sortRows,
  toCSV,
  visibleWindow
} from '../table';

const result: IResult = {
  kind: 'pods',
  status: 'ok',
  columns: [
    ['name', 'str'],
    ['restarts', 'int'],
    ['age', 'timedelta'],
    ['labels', 'json']
  ],
  data: [
    ['web-2', 'web-10', 'db "main", primary', 'api'],
    [3, 0, null, 12],
    [90061, 59, 3600, 120],
    [{ app: 'web' }, { app: 'web' }, { app: 'db' }, {}]
  ],
  text: null,
  diff: null
};

describe('rows and cells', () => {
  it('turns column-major data into rows', () => {
    const rows = rowsOf(result);
    expect(rows).toHaveLength(4);
    expect(rows[2]).toEqual(['db "main", primary', null, 3600, { app: 'db' }]);
    expect(columnsOf(result).map(c => c.dtype)).toEqual([
      'str',
      'int',
      'timedelta',
      'json'
    ]);
  });

  it('formats durations like kubectl and objects as JSON', () => {
    expect(formatDuration(90061)).toBe('1d1h');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(3600)).toBe('1h');
    expect(formatDuration(125)).toBe('2m5s');
    expect(formatCell(90061, 'timedelta')).toBe('1d1h');
    expect(formatCell({ app: 'db' }, 'json')).toBe('{"app":"db"}');
    expect(formatCell(null, 'int')).toBe('');
  });

  it('copes with an empty result', () => {
    const empty: IResult = { ...result, data: [[], [], [], []] };
    expect(rowsOf(empty)).toEqual([]);
    expect(toCSV(columnsOf(empty), [])).toBe('name,restarts,age,labels\r\n');
  });
});

describe('sorting', () => {
  const rows = rowsOf(result);
  it('sorts numbers numerically, missing values last both ways', () => {
    const up = sortRows(rows, { column: 1, direction: 'ascending' }).map(
      r => r[1]
    );
    expect(up).toEqual([0, 3, 12, null]);
    const down = sortRows(rows, { column: 1, direction: 'descending' }).map(
      r => r[1]
    );
    expect(down).toEqual([12, 3, 0, null]);
  });

  it('sorts names naturally (web-2 before web-10)', () => {
    const names = sortRows(rows, { column: 0, direction: 'ascending' }).map(
      r => r[0]
    );
    expect(names).toEqual(['api', 'db "main", primary', 'web-2', 'web-10']);
  });

  it('leaves the order alone without a sort and is stable', () => {
    expect(sortRows(rows, null)).toBe(rows);
    // equal keys ({"app":"web"} twice) keep their order in both directions
    for (const direction of ['ascending', 'descending'] as const) {
      const names = sortRows(rows, { column: 3, direction }).map(r => r[0]);
      expect(names.indexOf('web-2')).toBe(names.indexOf('web-10') - 1);
    }
  });
});

describe('filtering', () => {
  const rows = rowsOf(result);
  const columns = columnsOf(result);
  it('keeps rows where every word appears in some shown cell', () => {
    expect(filterRows(rows, columns, 'WEB').map(r => r[0])).toEqual([
      'web-2',
      'web-10'
    ]);
    expect(filterRows(rows, columns, 'web 1d1h').map(r => r[0])).toEqual([
      'web-2'
    ]);
    expect(filterRows(rows, columns, '"app":"db"').map(r => r[0])).toEqual([
      'db "main", primary'
    ]);
    expect(filterRows(rows, columns, '   ')).toBe(rows);
    expect(filterRows(rows, columns, 'nothing-like-this')).toEqual([]);
  });
});

describe('CSV', () => {
  it('quotes commas and quotes (RFC 4180) and writes the shown text', () => {
    const csv = toCSV(columnsOf(result), rowsOf(result));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('name,restarts,age,labels');
    expect(lines[1]).toBe('web-2,3,1d1h,"{""app"":""web""}"');
    expect(lines[3]).toBe('"db ""main"", primary",,1h,"{""app"":""db""}"');
    expect(lines).toHaveLength(6); // 4 rows, header, trailing empty
  });
});

describe('virtual window', () => {
  it('puts only the rows in view (plus overscan) in the DOM', () => {
    const w = visibleWindow(0, 240, 24, 100000, 5);
    expect(w.start).toBe(0);
    expect(w.end).toBe(16); // 10 visible + 1 partial + 5 overscan
    expect(w.padTop).toBe(0);
    expect(w.padBottom).toBe((100000 - 16) * 24);
  });

  it('follows the scroll position and keeps the total height', () => {
    const w = visibleWindow(24 * 5000, 240, 24, 100000, 5);
    expect(w.start).toBe(4995);
    expect(w.end).toBe(5016);
    expect(w.padTop + (w.end - w.start) * 24 + w.padBottom).toBe(100000 * 24);
  });

  it('clamps at the end and for empty tables', () => {
    const w = visibleWindow(24 * 99999, 240, 24, 100, 5);
    expect(w.end).toBe(100);
    expect(w.start).toBeLessThanOrEqual(100);
    expect(w.padBottom).toBe(0);
    expect(visibleWindow(0, 240, 24, 0)).toEqual({
      start: 0,
      end: 0,
      padTop: 0,
      padBottom: 0
    });
  });
});
