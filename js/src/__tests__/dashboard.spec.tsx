/**
 * The dashboard's tile (js/src/components/DashboardTile.tsx), the one the side panel's Cluster
 * tab and the `%kubechat dashboard` widget both render: counts, rows, Investigate on a row
 * that names an object, and the frame (the exact reads and Insert as cell) once opened.
 */

import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { age, DashboardTile } from '../components/DashboardTile';
import { ITile } from '../model';

const pending: ITile = {
  id: 'pending',
  title: 'Pending pods',
  commands: ['kubectl --context=sandbox get pods -A'],
  columns: ['namespace', 'name', 'status', 'age', 'scheduler_message'],
  rows: [
    ['shop', 'recommendations-x', 'Pending', 4000, '0/3 nodes are available']
  ],
  total: 1,
  counts: [['pods', 1]],
  targets: ['pod/recommendations-x -n shop'],
  error: null,
  alarming: true,
  cell: 'pods = %kubectl --context=sandbox get pods -A\npods'
};

function render(tile: ITile, open: boolean): string {
  const noop = () => undefined;
  return renderToStaticMarkup(
    <DashboardTile
      tile={tile}
      open={open}
      onToggle={noop}
      onInsert={noop}
      onInvestigate={noop}
      investigations={{
        'pod/recommendations-x -n shop': {
          tile: 'pending',
          status: 'done',
          result: {
            subject: { kind: 'pods', name: 'recommendations-x' },
            reads: [],
            findings: [
              {
                title: '0 of 3 nodes fit',
                severity: 'error',
                evidence: ['[nodes] n1: selector not matched']
              }
            ],
            notebook: {}
          }
        }
      }}
    />
  );
}

describe('DashboardTile', () => {
  it('shows counts, rows, Investigate, and its findings, alarming', () => {
    const html = render(pending, false);
    expect(html).toContain('jp-mod-alarm');
    expect(html).toContain('data-count="pods"');
    expect(html).toContain('recommendations-x');
    expect(html).toContain('66m'); // age in seconds, shown as kubectl does
    expect(html).toContain('Investigate');
    expect(html).toContain('0 of 3 nodes fit');
    expect(html).not.toContain('Insert as cell');
  });

  it('opened, shows the exact reads and Insert as cell', () => {
    const html = render(pending, true);
    expect(html).toContain('kubectl --context=sandbox get pods -A');
    expect(html).toContain('Insert as cell');
  });

  it('shows a read that failed, and says None for an empty tile', () => {
    const html = render(
      {
        ...pending,
        rows: [],
        total: 0,
        targets: [],
        error: 'forbidden',
        alarming: true
      },
      false
    );
    expect(html).toContain('forbidden');
    expect(
      render({ ...pending, rows: [], total: 0, targets: [] }, false)
    ).toContain('None.');
  });

  it('formats ages as kubectl does', () => {
    expect([age(45), age(600), age(7200), age(200000)]).toEqual([
      '45s',
      '10m',
      '2h',
      '2d'
    ]);
  });
});
