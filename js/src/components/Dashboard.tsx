/**
 * The cluster at a glance (the side panel's Cluster tab and `%kubechat dashboard`): tiles kept
 * live by `GET dashboard/watch` (the server re-sends them when a Kubernetes watch sees a
 * change) while shown, or refreshed from `GET dashboard` every `refresh_seconds` when the
 * watch quota is full or the stream failed; closed while hidden, "stale since" with the error
 * when updates stop (the last tiles stay on screen).
 */

import * as React from 'react';

import { KubechatApi, KubechatApiError } from '../api';
import { IChoice, IDashboard, IDashboardWatchEvent, ITile } from '../model';
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
/** Seconds between the watch stream's heartbeats (kubechat_lab/server/handlers/watch.py). */
const HEARTBEAT = 5;

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

/** How the tiles stay current: a watch stream, or `GET dashboard` on an interval. */
type Mode = 'watch' | 'poll';

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
  const [mode, setMode] = React.useState<Mode>('watch');
  /** Why the view polls instead of watching (shown with the interval). */
  const [pollWhy, setPollWhy] = React.useState('');
  /** The watch's `start` line (what it follows), while one is open. */
  const [watching, setWatching] = React.useState<IDashboardWatchEvent | null>(
    null
  );
  /** A new watch once the one before ended normally (its deadline). */
  const [generation, setGeneration] = React.useState(0);
  const [heard, setHeard] = React.useState<Date | null>(null);
  /** Good refreshes before polling tries the watch again (null: never, the server has none). */
  const watchAgainAfter = React.useRef<number | null>(0);
  const lastGood = React.useRef<Date | null>(null);
  const visible = usePageVisible();
  const live = props.active && visible && !paused;
  const every = snap?.refresh_seconds ?? DEFAULT_REFRESH;
  const everyRef = React.useRef(every);
  everyRef.current = every;

  const accept = React.useCallback((next: IDashboard) => {
    setSnap(next);
    setError('');
    setStaleSince(null);
    lastGood.current = new Date();
    setUpdated(lastGood.current);
  }, []);

  const fail = React.useCallback((why: string) => {
    setError(why);
    // Stale since the last good snapshot (or since now, when there never was one).
    setStaleSince(s => s ?? lastGood.current ?? new Date());
  }, []);

  const refresh = React.useCallback(async (): Promise<boolean> => {
    setLoading(true);
    try {
      accept(await api.dashboard(context));
      return true;
    } catch (e) {
      fail(message(e));
      return false;
    } finally {
      setLoading(false);
    }
  }, [api, context, accept, fail]);

  const poll = React.useCallback((why: string, refreshes: number | null) => {
    setWatching(null);
    setPollWhy(why);
    watchAgainAfter.current = refreshes;
    setMode('poll');
  }, []);

  // Watch while live: the server sends the dashboard when something changes. Closed while
  // hidden or paused; a full quota or a stream that fails falls back to polling.
  React.useEffect(() => {
    if (!live || mode !== 'watch') {
      return;
    }
    const ctrl = new AbortController();
    let broke = '';
    let lastLine = Date.now();
    // A stream that goes silent (no heartbeat) is given up: poll until a refresh succeeds.
    const watchdog = setInterval(() => {
      const silent = Math.round((Date.now() - lastLine) / 1000);
      if (silent > 3 * HEARTBEAT) {
        ctrl.abort();
        fail(`the live dashboard sent nothing for ${silent} s`);
        poll('the watch stopped', 0);
      }
    }, 1000);
    setLoading(true);
    api
      .dashboardWatch(
        event => {
          lastLine = Date.now();
          setHeard(new Date());
          if (event.type === 'start') {
            setWatching(event);
          } else if (event.type === 'dashboard' && event.dashboard) {
            setLoading(false);
            accept(event.dashboard);
          } else if (event.type === 'error') {
            broke = event.message ?? 'the watch failed';
            fail(broke);
          }
        },
        context,
        ctrl.signal
      )
      .then(
        () => {
          if (ctrl.signal.aborted) {
            return;
          }
          if (broke) {
            poll('the watch stopped', 0); // watch again once a refresh succeeds
          } else {
            setGeneration(g => g + 1); // it reached its deadline: open the next one
          }
        },
        e => {
          if (ctrl.signal.aborted) {
            return;
          }
          const status = e instanceof KubechatApiError ? e.status : 0;
          if (status === 429) {
            poll('watch quota full', 10); // someone's may end: try after ten refreshes
          } else if (status === 404 || status === 405) {
            poll('this server has no live dashboard', null);
          } else {
            fail(message(e));
            poll('the watch stopped', 0);
          }
        }
      )
      .finally(() => {
        clearInterval(watchdog);
        setLoading(false);
      });
    return () => {
      clearInterval(watchdog);
      ctrl.abort();
      setWatching(null);
    };
  }, [live, mode, generation, api, context, accept, fail, poll]);

  // Poll now and every `every` seconds while live and not watching; nothing while hidden.
  React.useEffect(() => {
    if (!live || mode !== 'poll') {
      return;
    }
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      const ok = await refresh();
      if (cancelled) {
        return;
      }
      const again = watchAgainAfter.current;
      if (ok && again !== null) {
        if (again <= 0) {
          setMode('watch');
          return;
        }
        watchAgainAfter.current = again - 1;
      }
      timer = setTimeout(() => void tick(), everyRef.current * 1000);
    };
    void tick();
    return () => {
      cancelled = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    };
  }, [live, mode, refresh]);

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
  const silent: number | null = heard
    ? Math.max(0, Math.round((now - heard.getTime()) / 1000))
    : null;
  const watched = live && mode === 'watch' && watching !== null;
  let state: string;
  if (error && staleSince) {
    state = `Stale since ${clock(staleSince)} — ${error}`;
  } else if (!snap) {
    state = loading ? 'Loading…' : 'Not loaded yet.';
  } else if (watched && silent !== null && silent > 3 * HEARTBEAT) {
    // The stream sends a heartbeat every few seconds: silence means it is gone.
    state = `Stale since ${clock(heard as Date)} — no answer for ${silent} s`;
  } else if (live && mode === 'poll' && ago !== null && ago > 3 * every) {
    // A refresh is still waiting for the cluster: say so rather than count up quietly.
    state = `Stale since ${clock(updated as Date)} — no answer for ${ago} s`;
  } else if (!live) {
    state = `Paused${paused ? '' : ' while hidden'} · updated ${ago}s ago`;
  } else if (watched) {
    state = `Live (watching) · updated ${ago}s ago`;
  } else {
    state = `Updated ${ago}s ago · refreshing every ${every} s${
      pollWhy ? ` (${pollWhy})` : ''
    }`;
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
          data-mode={watched ? 'watch' : 'poll'}
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
          {watched && watching ? (
            <div className="jp-kubechat-hint">
              Watching these safe reads, recorded as one{' '}
              <code>watch_started</code> audit event
              {watching.audit_seq !== null && watching.audit_seq !== undefined
                ? ` (seq ${watching.audit_seq})`
                : ''}{' '}
              and one <code>watch_stopped</code> when it ends. A change re-runs
              the read it touched; {watching.watched?.length ?? 0} of them
              follow the watch API, the others are re-read every{' '}
              {watching.refresh_seconds ?? every} s:
            </div>
          ) : (
            <div className="jp-kubechat-hint">
              Each refresh runs exactly these safe reads, recorded as one{' '}
              <code>dashboard_read</code> audit event
              {snap.audit_seq !== null ? ` (last: seq ${snap.audit_seq})` : ''}:
            </div>
          )}
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
