/**
 * The Waiting tab: what the person's kernels and agents (MCP clients) proposed and waits for
 * their decision (`GET kubechat/api/proposals`), each as the one command card
 * ({@link ProposalCard}) under a line that says who or what proposed it and how long ago, with
 * Approve / Reject, or the link to the approval page for a level decided there. The proposer
 * runs what is approved (an agent's `wait_for_decision`, a kernel's magic); nothing runs here.
 *
 * Fields of a waiting item this tab does not know (a server may add some, such as who else
 * must approve) are shown as they are, under the card ({@link extraFields}); to give one a
 * proper view, add it to {@link FIELD_VIEWS}.
 */

import * as React from 'react';

import { KubechatApi, KubechatApiError } from '../api';
import { cardView } from '../cardView';
import { IProposal, IProposer, isPending, IWaitingProposal } from '../model';
import { ProposalCard } from './ProposalCard';

/** How often the list is read while the Waiting tab shows, and while another tab does. */
export const WAITING_EVERY_MS = 3000;
export const BADGE_EVERY_MS = 15000;
/** How many decisions made in this tab stay listed under the waiting ones. */
const DECIDED_KEPT = 10;

/** Who or what proposed it, in one line ("agent claude-code 1.2 over MCP, for alice"). */
export function proposerText(by: IProposer | undefined): string {
  if (!by) {
    return 'unknown proposer';
  }
  const cap = by.capability?.label
    ? ` (capability “${by.capability.label}”)`
    : '';
  switch (by.kind) {
    case 'agent': {
      const client = by.client
        ? `${by.client.name}${by.client.version ? ` ${by.client.version}` : ''}`
        : 'an undeclared client';
      return `agent ${client} over MCP${cap}, for ${by.user}`;
    }
    case 'kernel':
      return `kernel of ${by.notebook || by.kernel_id || 'a notebook'}, for ${by.user}`;
    case 'page':
      return `${by.user} in JupyterLab`;
    case 'cli':
      return `kubechat run by ${by.user}`;
    default:
      return `script${cap || ` (capability ${by.capability?.id ?? '?'})`}, for ${by.user}`;
  }
}

/** An age in words: "12 s", "3 min", "2 h". */
export function ageText(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 90) {
    return `${s} s`;
  }
  if (s < 90 * 60) {
    return `${Math.round(s / 60)} min`;
  }
  return `${Math.round(s / 3600)} h`;
}

/** Fields the card or the proposer line already shows, or that mean nothing to a person. */
const SHOWN = new Set([
  'id',
  'command',
  'display',
  'parsed',
  'level',
  'reasons',
  'rule_ids',
  'state',
  'context',
  'namespace',
  'user',
  'source',
  'question',
  'provider',
  'explanation',
  'assumptions',
  'notes',
  'preview',
  'confirm',
  'approver',
  'decided_via',
  'approval_page',
  'audit_seqs',
  'error',
  'progress',
  'conversation',
  'created',
  'expires',
  'secret_template',
  'redacted',
  'owner',
  'proposed_by'
]);

/** Views of fields a server may add to waiting items; unknown ones get {@link plain}. */
export const FIELD_VIEWS: Record<string, (value: unknown) => string> = {
  // two-person approval (docs/policy.md): the server says who decides
  approvers: v =>
    v ? `a member of ${String(v)}, never the proposer` : 'no group',
  waiting_for_me: v =>
    v ? 'yes: you may decide it' : 'no: another person decides'
};

function plain(value: unknown): string {
  if (Array.isArray(value)) {
    return value
      .map(v => (typeof v === 'object' ? JSON.stringify(v) : String(v)))
      .join(', ');
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/** The fields of `item` this tab has no place for, as [name, text], in the server's order. */
export function extraFields(item: IWaitingProposal): [string, string][] {
  return Object.entries(item)
    .filter(
      ([k, v]) => !SHOWN.has(k) && v !== null && v !== undefined && v !== ''
    )
    .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => [k.replace(/_/g, ' '), (FIELD_VIEWS[k] || plain)(v)]);
}

export interface IWaiting {
  items: IWaitingProposal[];
  /** The server's clock at the last read, and this page's clock then (for ages). */
  serverNow: number;
  readAt: number;
  error: string;
  refresh: () => Promise<void>;
}

/**
 * Read the waiting list every `every` ms while `every` is not null and the browser tab shows
 * (paused while it is hidden); `keep` drops items the tab should not list.
 */
export function useWaiting(
  api: KubechatApi,
  every: number | null,
  keep: (item: IWaitingProposal) => boolean = () => true
): IWaiting {
  const [items, setItems] = React.useState<IWaitingProposal[]>([]);
  const [clock, setClock] = React.useState({ serverNow: 0, readAt: 0 });
  const [error, setError] = React.useState('');
  const [shown, setShown] = React.useState(
    typeof document === 'undefined' || document.visibilityState !== 'hidden'
  );
  const keepRef = React.useRef(keep);
  keepRef.current = keep;

  const refresh = React.useCallback(async () => {
    try {
      const list = await api.waiting();
      setItems(list.proposals.filter(p => keepRef.current(p)));
      setClock({ serverNow: list.now, readAt: Date.now() });
      setError('');
    } catch (e) {
      setError(`Could not read what waits: ${(e as Error).message}`);
    }
  }, [api]);

  React.useEffect(() => {
    if (typeof document === 'undefined') {
      return;
    }
    const onChange = () => setShown(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);

  React.useEffect(() => {
    if (every === null || !shown) {
      return;
    }
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await refresh();
      if (!stopped) {
        timer = setTimeout(() => void tick(), every);
      }
    };
    void tick();
    return () => {
      stopped = true;
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    };
  }, [every, shown, refresh]);

  return { items, ...clock, error, refresh };
}

interface ILocal {
  confirm: string;
  busy: boolean;
  message?: string;
  error?: string;
  /** The approval page was opened for it: when it leaves the list, read how it ended. */
  opened?: boolean;
}

interface IDecided {
  proposal: IProposal;
  by?: IProposer;
  message: string;
}

function message(e: unknown): string {
  return e instanceof KubechatApiError
    ? e.message
    : String((e as Error)?.message || e);
}

/** The outcome of a decision, as the person reads it under the card. */
function outcome(p: IProposal, by?: IProposer): string {
  if (p.state === 'approved' || p.state === 'executing') {
    return by?.kind === 'agent'
      ? 'Approved here: the agent runs it through its wait_for_decision.'
      : 'Approved: its proposer runs it.';
  }
  if (p.state === 'executed') {
    return 'Approved and run.';
  }
  return `${p.state}: nothing ran.`;
}

export function WaitingView(props: {
  api: KubechatApi;
  waiting: IWaiting;
}): JSX.Element {
  const { api, waiting } = props;
  const [local, setLocal] = React.useState<Record<string, ILocal>>({});
  const [decided, setDecided] = React.useState<IDecided[]>([]);
  const previous = React.useRef<IWaitingProposal[]>([]);

  const change = (id: string, c: Partial<ILocal>) =>
    setLocal(l => ({
      ...l,
      [id]: { ...{ confirm: '', busy: false }, ...l[id], ...c }
    }));
  const done = (p: IProposal, by: IProposer | undefined, text?: string) =>
    setDecided(d =>
      [
        { proposal: p, by, message: text ?? outcome(p, by) },
        ...d.filter(x => x.proposal.id !== p.id)
      ].slice(0, DECIDED_KEPT)
    );

  // An item opened on the approval page that left the list was decided there: say how.
  React.useEffect(() => {
    const now = new Set(waiting.items.map(p => p.id));
    for (const gone of previous.current.filter(p => !now.has(p.id))) {
      if (local[gone.id]?.opened) {
        api
          .get(gone.id)
          .then(p => done(p, gone.proposed_by))
          .catch(() => undefined);
      }
    }
    previous.current = waiting.items;
  }, [waiting.items]);

  const approve = async (p: IWaitingProposal) => {
    const mine = local[p.id];
    change(p.id, { busy: true, error: undefined, message: 'Approving…' });
    try {
      const approved = await api.approve(
        p.id,
        p.level === 'dangerous' ? (mine?.confirm ?? '') : undefined
      );
      done(approved, p.proposed_by);
      await waiting.refresh();
    } catch (e) {
      change(p.id, {
        busy: false,
        message: undefined,
        error: `Not approved: ${message(e)}`
      });
    }
  };

  const reject = async (p: IWaitingProposal) => {
    change(p.id, { busy: true, error: undefined });
    try {
      const rejected = await api.reject(
        p.id,
        'rejected in the KubeChat panel (Waiting)'
      );
      done(rejected, p.proposed_by, 'Rejected: nothing ran.');
      await waiting.refresh();
    } catch (e) {
      change(p.id, { busy: false, error: message(e) });
    }
  };

  const age = (p: IProposal): string => {
    if (!p.created || !waiting.serverNow) {
      return '';
    }
    return ageText(
      waiting.serverNow - p.created + (Date.now() - waiting.readAt) / 1000
    );
  };

  return (
    <div className="jp-kubechat-waiting" data-testid="kc-waiting">
      {waiting.error && (
        <div className="jp-kubechat-error" role="alert">
          {waiting.error}
        </div>
      )}
      {!waiting.items.length && !waiting.error && (
        <div className="jp-kubechat-empty">
          Nothing waits for your decision. What your kernels and agents (MCP
          clients) propose shows here; your own questions&apos; cards wait in
          the Conversation tab.
        </div>
      )}
      {waiting.items.map(p => {
        const mine = local[p.id];
        const extra = extraFields(p);
        return (
          <article
            key={p.id}
            className="jp-kubechat-waiting-item"
            data-testid="kc-waiting-item"
            data-proposal={p.id}
            data-kind={p.proposed_by?.kind}
            aria-label={`Waiting: ${p.display || p.command}`}
          >
            <div className="jp-kubechat-waiting-by">
              <span data-testid="kc-waiting-by">
                Proposed by {proposerText(p.proposed_by)}
              </span>
              {age(p) && (
                <span data-testid="kc-waiting-age"> · {age(p)} ago</span>
              )}
            </div>
            {extra.length > 0 && (
              <dl
                className="jp-kubechat-waiting-extra"
                data-testid="kc-waiting-extra"
              >
                {extra.map(([k, v]) => (
                  <React.Fragment key={k}>
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </React.Fragment>
                ))}
              </dl>
            )}
            {p.question && (
              <div className="jp-kubechat-question">{p.question}</div>
            )}
            <ProposalCard
              card={cardView(p)}
              state={p.state}
              pending={isPending(p)}
              canDecide={true}
              busy={!!mine?.busy}
              confirmText={mine?.confirm ?? ''}
              onConfirmChange={text => change(p.id, { confirm: text })}
              onApprove={() => void approve(p)}
              onReject={() => void reject(p)}
              approvalHref={p.approval_page}
              onApprovalPageOpened={() =>
                change(p.id, {
                  opened: true,
                  message: 'Waiting for your decision on the approval page…'
                })
              }
              message={mine?.message}
              error={mine?.error}
            />
          </article>
        );
      })}
      {decided.length > 0 && (
        <section
          className="jp-kubechat-waiting-decided"
          aria-label="Decided here"
        >
          <span className="jp-kubechat-label">Decided in this panel</span>
          {decided.map(d => (
            <div
              key={d.proposal.id}
              className="jp-kubechat-waiting-outcome"
              data-testid="kc-waiting-decided"
              data-proposal={d.proposal.id}
              data-state={d.proposal.state}
            >
              <code>{d.proposal.display || d.proposal.command}</code> (
              {proposerText(d.by)}): {d.message}
            </div>
          ))}
        </section>
      )}
    </div>
  );
}
