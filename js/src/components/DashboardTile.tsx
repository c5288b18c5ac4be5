/**
 * One dashboard tile: its headline counts, its rows (Investigate on a row that names an
 * object), and on click its frame: the exact reads it came from and "Insert as cell".
 */

import * as React from 'react';

import { IChoice, IInvestigation, ITile } from '../model';
import { Findings } from './Findings';

/** Rows a closed tile shows; an open one shows all the server sent. */
const CLOSED_ROWS = 8;

/** Seconds as kubectl's AGE: 45s, 12m, 3h, 5d. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) {
    return `${s}s`;
  }
  if (s < 7200) {
    return `${Math.floor(s / 60)}m`;
  }
  if (s < 172800) {
    return `${Math.floor(s / 3600)}h`;
  }
  return `${Math.floor(s / 86400)}d`;
}

function cell(column: string, value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (column === 'age' && typeof value === 'number') {
    return age(value);
  }
  if (column.endsWith('_%') && typeof value === 'number') {
    return `${value.toFixed(1)}%`;
  }
  if (column === 'last_seen' && typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? value : `${age((Date.now() - t) / 1000)} ago`;
  }
  return String(value);
}

/** What an Investigate click has given so far, per target. */
export interface IInvestigationState {
  /** The tile whose row was clicked (the findings show there only). */
  tile: string;
  status: 'working' | 'done' | 'error';
  result?: IInvestigation;
  message?: string;
}

export interface ITileProps {
  tile: ITile;
  open: boolean;
  onToggle: () => void;
  onInsert: (tile: ITile) => void;
  onInvestigate: (target: string, tile: string) => void;
  investigations: Record<string, IInvestigationState>;
  /** Propose a finding's next command (a write waits for approval; nothing runs here). */
  onPropose: (choice: IChoice) => void;
}

/** A row's investigation under its tile: the one Findings view every face shows. */
function TileFindings(props: {
  target: string;
  state: IInvestigationState;
  onPropose: (choice: IChoice) => void;
}): JSX.Element {
  const { target, state } = props;
  return (
    <div
      className="jp-kubechat-dash-findings"
      data-target={target}
      aria-live="polite"
    >
      {state.status === 'working' && <div>Investigating {target}…</div>}
      {state.status === 'error' && (
        <div className="jp-kubechat-error">{state.message}</div>
      )}
      {state.result && (
        <Findings investigation={state.result} onPropose={props.onPropose} />
      )}
    </div>
  );
}

export function DashboardTile(props: ITileProps): JSX.Element {
  const { tile, open } = props;
  const rows = open ? tile.rows : tile.rows.slice(0, CLOSED_ROWS);
  const more = tile.total - rows.length;
  const investigable = tile.targets.some(t => !!t);
  // Long text (a scheduler's or an event's message) goes on its own line under its row.
  const indexed = tile.columns.map((c, j) => [c, j] as const);
  const plain = indexed.filter(([c]) => !c.endsWith('message'));
  const detail = indexed.filter(([c]) => c.endsWith('message'));
  const shownTargets = tile.targets.filter(
    t => t && props.investigations[t]?.tile === tile.id
  ) as string[];
  return (
    <section
      className={`jp-kubechat-tile${tile.alarming ? ' jp-mod-alarm' : ''}${open ? ' jp-mod-open' : ''}`}
      data-tile={tile.id}
      aria-label={tile.title}
    >
      <button
        className="jp-kubechat-tile-head"
        aria-expanded={open}
        title="Show the reads this tile came from, and insert them as a cell"
        onClick={props.onToggle}
      >
        <span className="jp-kubechat-tile-title">{tile.title}</span>
        <span className="jp-kubechat-tile-counts">
          {tile.counts.map(([label, value]) => (
            <span
              key={label}
              className={`jp-kubechat-tile-count${value > 0 && /NotReady|cordoned|Pending|Failed|Unknown/.test(label) ? ' jp-mod-bad' : ''}`}
              data-count={label}
            >
              {label} <b>{value}</b>
            </span>
          ))}
        </span>
      </button>
      {tile.error && (
        <div className="jp-kubechat-error jp-kubechat-tile-error">
          {tile.error}
        </div>
      )}
      {rows.length > 0 && (
        <div className="jp-kubechat-tile-scroll">
          <table className="jp-kubechat-tile-table">
            <thead>
              <tr>
                {plain.map(([c]) => (
                  <th key={c}>{c}</th>
                ))}
                {investigable && <th />}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <React.Fragment key={i}>
                  <tr>
                    {plain.map(([c, j]) => (
                      <td key={c} className={`jp-kubechat-col-${c}`}>
                        {cell(c, r[j])}
                      </td>
                    ))}
                    {investigable && (
                      <td>
                        {tile.targets[i] && (
                          <button
                            className="jp-kubechat-button jp-kubechat-investigate"
                            title={`Investigate ${tile.targets[i]}: safe reads and findings`}
                            onClick={() =>
                              props.onInvestigate(
                                tile.targets[i] as string,
                                tile.id
                              )
                            }
                          >
                            Investigate
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                  {detail.map(([c, j]) =>
                    r[j] ? (
                      <tr
                        key={c}
                        className="jp-kubechat-detail"
                        data-column={c}
                      >
                        <td
                          colSpan={plain.length + (investigable ? 1 : 0)}
                          title={String(r[j])}
                        >
                          <div className="jp-kubechat-clamp">
                            {cell(c, r[j])}
                          </div>
                        </td>
                      </tr>
                    ) : null
                  )}
                </React.Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!rows.length && !tile.error && (
        <div className="jp-kubechat-tile-empty">None.</div>
      )}
      {more > 0 && (
        <div className="jp-kubechat-hint">
          and {more} more{open ? ' (the cell reads them all)' : ''}
        </div>
      )}
      {shownTargets.map(t => (
        <TileFindings
          key={t}
          target={t}
          state={props.investigations[t]}
          onPropose={props.onPropose}
        />
      ))}
      {open && (
        <div className="jp-kubechat-tile-frame">
          <div className="jp-kubechat-hint">
            Read with these exact commands (safe reads, audited once per
            refresh):
          </div>
          <pre className="jp-kubechat-tile-commands">
            {tile.commands.join('\n')}
          </pre>
          <button
            className="jp-kubechat-button jp-mod-accept jp-kubechat-insert-tile"
            onClick={() => props.onInsert(tile)}
            title={tile.cell}
          >
            Insert as cell
          </button>
        </div>
      )}
    </section>
  );
}
