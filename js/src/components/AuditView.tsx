/** The audit tab: recent events with who / what / level / decision, filters, and Verify. */

import * as React from 'react';

import { KubechatApi } from '../api';
import { IAuditRecord, IVerifyReport } from '../model';

const RECENT = 200;
const TYPES = [
  '',
  'ask',
  'proposed',
  'approved',
  'rejected',
  'refused',
  'executing',
  'executed',
  'failed',
  'dashboard_read'
];

/** A dashboard refresh's reads (`dashboard_read` lists them in `commands`). */
function reads(e: Record<string, unknown>): string {
  const commands = e['commands'];
  return Array.isArray(commands) ? commands.join(' · ') : '';
}

function field(e: Record<string, unknown>, name: string): string {
  const v = e[name];
  return v === undefined || v === null ? '' : String(v);
}

export function AuditView(props: {
  api: KubechatApi;
  active: boolean;
}): JSX.Element {
  const { api } = props;
  const [records, setRecords] = React.useState<IAuditRecord[]>([]);
  const [type, setType] = React.useState('');
  const [user, setUser] = React.useState('');
  const [text, setText] = React.useState('');
  const [error, setError] = React.useState('');
  const [loading, setLoading] = React.useState(false);
  const [report, setReport] = React.useState<IVerifyReport | null>(null);
  const [verifying, setVerifying] = React.useState(false);
  const ids = { type: React.useId(), user: React.useId(), text: React.useId() };

  const load = React.useCallback(async () => {
    setLoading(true);
    setError('');
    try {
      const health = await api.health();
      const head = Number(health.database?.['head_seq'] ?? 0);
      const page = await api.audit({
        after: Math.max(0, head - RECENT),
        limit: RECENT,
        type: type || undefined,
        user: user || undefined
      });
      setRecords([...page.records].reverse());
    } catch (e) {
      setError(`Could not read the audit log: ${(e as Error).message}`);
    } finally {
      setLoading(false);
    }
  }, [api, type, user]);

  React.useEffect(() => {
    if (props.active) {
      void load();
    }
  }, [props.active, load]);

  const verify = async () => {
    setVerifying(true);
    setReport(null);
    try {
      setReport(await api.verify());
    } catch (e) {
      setError(`Verify failed: ${(e as Error).message}`);
    } finally {
      setVerifying(false);
    }
  };

  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = words.length
    ? records.filter(r => {
        const hay = JSON.stringify(r.event).toLowerCase();
        return words.every(w => hay.includes(w));
      })
    : records;

  return (
    <div className="jp-kubechat-audit" aria-label="Audit log">
      <div className="jp-kubechat-audit-toolbar">
        <label htmlFor={ids.type}>Type</label>
        <select
          id={ids.type}
          value={type}
          onChange={e => setType(e.target.value)}
          className="jp-kubechat-audit-type"
        >
          {TYPES.map(t => (
            <option key={t} value={t}>
              {t || 'all'}
            </option>
          ))}
        </select>
        <label htmlFor={ids.user}>User</label>
        <input
          id={ids.user}
          value={user}
          onChange={e => setUser(e.target.value)}
          size={8}
        />
        <label htmlFor={ids.text}>Contains</label>
        <input
          id={ids.text}
          className="jp-kubechat-audit-filter"
          value={text}
          onChange={e => setText(e.target.value)}
          size={12}
        />
        <button
          className="jp-kubechat-button"
          onClick={() => void load()}
          disabled={loading}
        >
          Refresh
        </button>
        <button
          className="jp-kubechat-button jp-kubechat-verify"
          onClick={() => void verify()}
          disabled={verifying}
        >
          Verify
        </button>
      </div>
      <div
        className="jp-kubechat-verify-result"
        role="status"
        aria-live="polite"
      >
        {verifying && 'Verifying the hash chain…'}
        {report &&
          (report.ok
            ? `Chain intact: ${report.rows_checked} rows checked, head seq ${report.head_seq}.`
            : `Chain BROKEN at seq ${report.first_bad_seq}: ${report.reason}`)}
      </div>
      {error && (
        <div className="jp-kubechat-error" role="alert">
          {error}
        </div>
      )}
      <ol
        className="jp-kubechat-audit-list"
        aria-label="Recent audit events, newest first"
      >
        {shown.map(r => {
          const e = r.event;
          const decision =
            field(e, 'decision') || field(e, 'status') || field(e, 'outcome');
          const time = field(e, 'time') || r.at;
          const level = field(e, 'level');
          return (
            <li
              key={r.seq}
              className="jp-kubechat-audit-row"
              data-type={field(e, 'type')}
            >
              <div className="jp-kubechat-audit-line">
                <span className="jp-kubechat-audit-seq">#{r.seq}</span>{' '}
                <span className="jp-kubechat-audit-event">
                  {field(e, 'type')}
                </span>
                {level && (
                  <span
                    className={`jp-kubechat-badge jp-kubechat-badge-${level}`}
                  >
                    {level.toUpperCase()}
                  </span>
                )}
                {decision && (
                  <span className="jp-kubechat-audit-decision">{decision}</span>
                )}
                <time
                  dateTime={time}
                  title={time}
                  className="jp-kubechat-audit-time"
                >
                  {time.slice(11, 19)}
                </time>
              </div>
              <div className="jp-kubechat-audit-who">
                {field(e, 'user')}
                {field(e, 'via') ? ` via ${field(e, 'via')}` : ''}
                {field(e, 'approver')
                  ? ` · approver ${field(e, 'approver')}`
                  : ''}
              </div>
              <div className="jp-kubechat-audit-what">
                {field(e, 'command') || field(e, 'question') || reads(e)}
              </div>
            </li>
          );
        })}
      </ol>
      {!loading && !shown.length && (
        <div className="jp-kubechat-empty">No events.</div>
      )}
    </div>
  );
}
