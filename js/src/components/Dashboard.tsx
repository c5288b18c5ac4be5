/**
 * The cluster at a glance (the side panel's Cluster tab and `%kubechat dashboard`): tiles
 * refreshed from `GET dashboard` every `refresh_seconds` while shown, paused while hidden,
 * "stale since" with the error when a refresh fails (the last tiles stay on screen).
 */

import * as React from 'react';

import { KubechatApi, KubechatApiError } from '../api';
import { IChoice, IDashboard, ITile } from '../model';
import { DashboardTile, IInvestigationState } from './DashboardTile';

export interface IDashboardProps {
  api: KubechatApi;
  /** Whether the view is shown (the tab is current, the cell is on screen). */
  active: boolean;
  context?: string;
  /** Put a tile's cell in the notebook; resolve with null when done, else why not. */
  insertCell: (source: string) => Promise<string | null>;
  /** Propose a finding's next command; without one it goes in a cell (`%kubectl ...`). */
  onPropose?: (choice: IChoice) => void;
}

/** Seconds between refreshes until the server says (its `refresh_seconds`). */
const DEFAULT_REFRESH = 5;

function message(error: unknown): string {
  if (error instanceof KubechatApiError) {
    return error.message;
  }
  return String((error as Error)?.message || error);
}

function clock(d: Date): string {
  return d.toTimeString().slice(0, 8);
}

/** Whether the browser tab is visible (a hidden tab does not refresh). */
function usePageVisible(): boolean {
  const [visible, setVisible] = React.useState(
    () => document.visibilityState !== 'hidden'
  );
  React.useEffect(() => {
    const changed = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', changed);
    return () => document.removeEventListener('visibilitychange', changed);
  }, []);
  return visible;
}

export function Dashboard(props: IDashboardProps): JSX.Element {
  const { api, context } = props;
  const [snap, setSnap] = React.useState<IDashboard | null>(null);
  const [error, setError] = React.useState('');
  const [staleSince, setStaleSince] = React.useState<Date | null>(null);
  const [updated, setUpdated] = React.useState<Date | null>(null);
  const [paused, setPaused] = React.useState(false);
  const [loading, setLoading] = React.useState(false);
  const [open, setOpen] = React.useState<string | null>(null);
  const [showCommands, setShowCommands] = React.useState(false);
  const [notice, setNotice] = React.useState('');
  const [now, setNow] = React.useState(() => Date.now());
  const [investigations, setInvestigations] = React.useState<
    Record<string, IInvestigationState>
  >({});
  const lastGood = React.useRef<Date | null>(null);
  const visible = usePageVisible();
  const live = props.active && visible && !paused;
  const every = snap?.refresh_seconds ?? DEFAULT_REFRESH;
  const everyRef = React.useRef(every);
  everyRef.current = every;

  const refresh = React.useCallback(async () => {
    setLoading(true);
    try {
      const next = await api.dashboard(context);
      setSnap(next);
      setError('');
      setStaleSince(null);
      lastGood.current = new Date();
      setUpdated(lastGood.current);
    } catch (e) {
      setError(message(e));
      // Stale since the last good snapshot (or since now, when there never was one).
      setStaleSince(s => s ?? lastGood.current ?? new Date());
    } finally {
      setLoading(false);
    }
  }, [api, context]);

  // Refresh now and every `every` seconds while live; nothing while hidden or paused.
  React.useEffect(() => {
    if (!live) {
      return;
    }
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await refresh();
      if (!cancelled) {
        timer = setTimeout(() => void tick(), everyRef.current * 1000);
      }
    };
    void tick();
    return () => {
      cancelled = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    };
  }, [live, refresh]);

  // "updated Ns ago" keeps counting while shown.
  React.useEffect(() => {
    if (!props.active) {
      return;
    }
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [props.active]);

  const insert = async (tile: ITile) => {
    const why = await props.insertCell(tile.cell);
    setNotice(why ?? `Inserted the reads of "${tile.title}" as a cell.`);
  };

  const investigate = async (target: string, tile: string) => {
    setInvestigations(s => ({ ...s, [target]: { tile, status: 'working' } }));
    try {
      const result = await api.investigate(target, snap?.context ?? context);
      setInvestigations(s => ({
        ...s,
        [target]: { tile, status: 'done', result }
      }));
    } catch (e) {
      setInvestigations(s => ({
        ...s,
        [target]: { tile, status: 'error', message: message(e) }
      }));
    }
  };

  const ago: number | null = updated
    ? Math.max(0, Math.round((now - updated.getTime()) / 1000))
    : null;
  let state: string;
  if (error && staleSince) {
    state = `Stale since ${clock(staleSince)} — ${error}`;
  } else if (!snap) {
    state = loading ? 'Loading…' : 'Not loaded yet.';
  } else if (live && ago !== null && ago > 3 * every) {
    // A refresh is still waiting for the cluster: say so rather than count up quietly.
    state = `Stale since ${clock(updated as Date)} — no answer for ${ago} s`;
  } else if (!live) {
    state = `Paused${paused ? '' : ' while hidden'} · updated ${ago}s ago`;
  } else {
    state = `Updated ${ago}s ago · refreshes every ${every} s`;
  }

  const stale = state.startsWith('Stale');

  return (
    <div className="jp-kubechat-dashboard">
      <div className="jp-kubechat-dash-bar">
        <span className="jp-kubechat-dash-context">
          Cluster <b>{snap?.context ?? context ?? ''}</b>
        </span>
        <span
          className={`jp-kubechat-dash-status${stale ? ' jp-mod-stale' : ''}`}
          role={stale ? 'alert' : 'status'}
          data-stale={stale ? 'true' : 'false'}
          title={state}
        >
          {state}
        </span>
        <span className="jp-kubechat-dash-actions">
          <button
            className="jp-kubechat-button jp-kubechat-dash-refresh"
            onClick={() => void refresh()}
            disabled={loading}
          >
            Refresh
          </button>
          <button
            className="jp-kubechat-button jp-kubechat-dash-pause"
            onClick={() => setPaused(p => !p)}
          >
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button
            className="jp-kubechat-button jp-kubechat-dash-commands"
            aria-expanded={showCommands}
            onClick={() => setShowCommands(s => !s)}
          >
            Commands
          </button>
        </span>
      </div>
      {showCommands && snap && (
        <div className="jp-kubechat-dash-all-commands">
          <div className="jp-kubechat-hint">
            Each refresh runs exactly these safe reads, recorded as one{' '}
            <code>dashboard_read</code> audit event
            {snap.audit_seq !== null ? ` (last: seq ${snap.audit_seq})` : ''}:
          </div>
          <pre>{snap.commands.join('\n')}</pre>
        </div>
      )}
      {notice && (
        <div className="jp-kubechat-notice" role="status">
          {notice}
        </div>
      )}
      <div className="jp-kubechat-tiles">
        {snap?.tiles.map(t => (
          <DashboardTile
            key={t.id}
            tile={t}
            open={open === t.id}
            onToggle={() => setOpen(o => (o === t.id ? null : t.id))}
            onInsert={tile => void insert(tile)}
            onInvestigate={(target, id) => void investigate(target, id)}
            investigations={investigations}
            onPropose={
              props.onPropose ??
              (choice => void props.insertCell(`%kubectl ${choice.command}`))
            }
          />
        ))}
      </div>
    </div>
  );
}
