/**
 * The KubeChat side panel: header, conversation (questions, command cards, results), what
 * kernels and agents proposed and waits for a decision (the Waiting tab), and the audit tab, all talking to the server extension through {@link KubechatApi}.
 */

import { ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { KubechatApi, KubechatApiError } from './api';
import { AuditView } from './components/AuditView';
import { Card, ICardActions, ITurn } from './components/Card';
import { Dashboard } from './components/Dashboard';
import { Header } from './components/Header';
import {
  BADGE_EVERY_MS,
  useWaiting,
  WAITING_EVERY_MS,
  WaitingView
} from './components/WaitingView';
import { IWhyActions, WhyTurn } from './components/WhyTurn';
import {
  IChoice,
  IHealth,
  IInvestigation,
  IProposal,
  isPending,
  newConversationId
} from './model';
import { IRunbookTurn, redact } from './runbook';

/** How long, and how often, the panel follows a decision made on the approval page. */
const FOLLOW_MS = 15 * 60 * 1000;
const FOLLOW_EVERY_MS = 1500;

export interface IPanelSettings {
  runSafeWithoutClick: boolean;
  rowsPerPage: number;
}

export const DEFAULT_SETTINGS: IPanelSettings = {
  runSafeWithoutClick: true,
  rowsPerPage: 15
};

/** What the panel needs from JupyterLab (kept narrow so the panel is easy to test). */
export interface IPanelHost {
  insertCell: (source: string) => string | null; // null: inserted; else why not
  saveRunbook: (turns: IRunbookTurn[]) => Promise<string>; // the path written
  /** Write an investigation's runbook notebook; resolve with the path written. */
  saveNotebook?: (inv: IInvestigation) => Promise<string>;
  copy: (text: string) => Promise<void>;
  /** Keep the conversation across reloads (JupyterLab's state database), when there is one. */
  restore?: () => Promise<ISavedConversation | null>;
  keep?: (saved: ISavedConversation) => void;
}

/** What survives a reload: the turns without result rows (they can be large), and the id. */
export interface ISavedConversation {
  conversation: string;
  turns: ITurn[];
}

/**
 * A turn without secret values (what is kept on disk): a command that wrote Secret values
 * keeps the server's redacted command, question and explanation, and its template; every
 * question loses credential-looking values.
 */
function withoutSecrets(t: ITurn): ITurn {
  const p = t.proposal;
  if (!p?.secret_template || !p.redacted) {
    return { ...t, question: redact(t.question) };
  }
  const r = p.redacted;
  const question = r.question ?? redact(t.question);
  return {
    ...t,
    question,
    // only fields that cannot hold a value (the parsed command, notes and choices can)
    translation: t.translation && {
      question,
      command: r.command,
      explanation: r.explanation,
      provider: t.translation.provider,
      assumptions: t.translation.assumptions
    },
    proposal: {
      ...p,
      command: r.command,
      display: r.command,
      parsed: undefined,
      question: r.question,
      explanation: r.explanation
    }
  };
}

/** The saved form of a conversation: result rows dropped, unfinished work marked as such. */
export function toSaved(
  conversation: string,
  turns: ITurn[]
): ISavedConversation {
  return {
    conversation,
    turns: turns.map(withoutSecrets).map(t => ({
      ...t,
      result: null,
      investigation: t.investigation && {
        ...t.investigation,
        notebook: undefined
      },
      status:
        t.status === 'asking' || t.status === 'working' ? 'error' : t.status,
      message:
        t.status === 'asking' || t.status === 'working'
          ? 'Interrupted by a reload.'
          : t.result
            ? 'The result is not kept across reloads; ask again to see it.'
            : t.message
    }))
  };
}

function message(error: unknown): string {
  if (error instanceof KubechatApiError) {
    return error.message;
  }
  return String((error as Error)?.message || error);
}

interface IAppProps {
  api: KubechatApi;
  host: IPanelHost;
  settings: IPanelSettings;
  magicFor: (p: IProposal) => string;
  /** Whether the panel shows (the Waiting list is read only then). */
  visible?: boolean;
  /** The tab a command or link asked for last. */
  tabRequest?: ITabRequest | null;
}

export type Tab = 'chat' | 'waiting' | 'cluster' | 'audit';
const TAB_NAMES: Record<Tab, string> = {
  chat: 'Conversation',
  waiting: 'Waiting',
  cluster: 'Cluster',
  audit: 'Audit'
};

/** Whether `name` is one of the panel's tabs (a link's `?kubechat=waiting`). */
export function isTab(name: string): name is Tab {
  return Object.prototype.hasOwnProperty.call(TAB_NAMES, name);
}

/** A request to show a tab; `n` changes with each request, so the same tab can be asked twice. */
interface ITabRequest {
  tab: Tab;
  n: number;
}

function App(props: IAppProps): JSX.Element {
  const { api, host, settings } = props;
  const [tab, setTab] = React.useState<Tab>(props.tabRequest?.tab ?? 'chat');
  React.useEffect(() => {
    if (props.tabRequest) {
      setTab(props.tabRequest.tab);
    }
  }, [props.tabRequest]);
  const [health, setHealth] = React.useState<IHealth | null>(null);
  const [healthError, setHealthError] = React.useState('');
  const [turns, setTurns] = React.useState<ITurn[]>([]);
  const [draft, setDraft] = React.useState('');
  const [notice, setNotice] = React.useState('');
  const conversation = React.useRef(newConversationId());
  const restored = React.useRef(!host.restore);

  React.useEffect(() => {
    if (!host.restore) {
      return;
    }
    host
      .restore()
      .then(saved => {
        if (saved && saved.turns.length) {
          conversation.current = saved.conversation;
          counter.current = saved.turns.length;
          setTurns(ts => [...saved.turns, ...ts]);
        }
      })
      .catch(() => undefined)
      .finally(() => {
        restored.current = true;
      });
  }, [host]);

  React.useEffect(() => {
    if (restored.current && host.keep) {
      host.keep(toSaved(conversation.current, turns));
    }
  }, [turns, host]);
  // What kernels and agents proposed: read often while the tab shows, now and then for the
  // badge while the panel shows, never while it is hidden. The page's own cards are in the chat.
  const waiting = useWaiting(
    api,
    props.visible === false
      ? null
      : tab === 'waiting'
        ? WAITING_EVERY_MS
        : BADGE_EVERY_MS,
    item =>
      !(
        item.proposed_by?.kind === 'page' &&
        item.proposed_by.user === health?.user
      )
  );
  const counter = React.useRef(0);
  const endRef = React.useRef<HTMLDivElement>(null);
  const inputId = React.useId();

  const refreshHealth = React.useCallback(async () => {
    try {
      setHealth(await api.health());
      setHealthError('');
    } catch (e) {
      setHealthError(`Health check failed: ${message(e)}`);
    }
  }, [api]);

  React.useEffect(() => {
    void refreshHealth();
  }, [refreshHealth]);

  React.useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: 'end' });
  }, [turns.length]);

  // C2: proposals carry the resolved context; until every server sends it, a missing one is
  // the server's default context, which health names.
  const resolved = (p: IProposal): IProposal =>
    p.context || !health?.context ? p : { ...p, context: health.context };

  const update = (id: string, change: Partial<ITurn>) =>
    setTurns(ts => ts.map(t => (t.id === id ? { ...t, ...change } : t)));

  const execute = async (id: string, proposal: IProposal) => {
    update(id, { status: 'working', message: 'Running…', proposal });
    try {
      const done = await api.execute(proposal.id);
      update(id, {
        status: 'done',
        proposal: done,
        result: done.result ?? null,
        ran: true,
        message: ''
      });
      void refreshHealth(); // the audit head moved
    } catch (e) {
      let latest = proposal;
      try {
        latest = await api.get(proposal.id);
      } catch {
        // keep what we had
      }
      update(id, { status: 'error', proposal: latest, message: message(e) });
    }
  };

  // A dangerous proposal is decided on the approval page (another origin): follow it here
  // until the person decides, so the card (and a saved runbook) shows what happened.
  const follow = async (id: string, proposal: IProposal) => {
    update(id, { message: 'Waiting for the decision on the approval page…' });
    const deadline = Date.now() + FOLLOW_MS;
    while (Date.now() < deadline) {
      await new Promise(done => setTimeout(done, FOLLOW_EVERY_MS));
      let latest: IProposal;
      try {
        latest = await api.get(proposal.id);
      } catch {
        continue; // the server is restarting or unreachable: try again
      }
      if (latest.state === 'proposed' || latest.state === 'executing') {
        continue;
      }
      if (latest.state === 'approved') {
        await execute(id, latest); // approved there, run here (as a kernel's would be)
      } else {
        const ran = latest.state === 'executed';
        update(id, {
          status: 'done',
          proposal: latest,
          ran,
          message: ran
            ? 'Approved and run on the approval page.'
            : `${latest.state}: nothing ran.`
        });
        void refreshHealth();
      }
      return;
    }
    update(id, {
      message: 'Still waiting for a decision on the approval page.'
    });
  };

  const send = async () => {
    const question = draft.trim();
    if (!question) {
      return;
    }
    setDraft('');
    const id = `t${Date.now().toString(36)}-${++counter.current}`;
    setTurns(ts => [
      ...ts,
      {
        id,
        question,
        proposal: null,
        status: 'asking',
        confirmText: '',
        ran: false
      }
    ]);
    try {
      const reply = await api.ask(question, conversation.current);
      if (reply.investigate) {
        // a why-question about one object: investigated, not translated to one read
        update(id, {
          translation: reply.translation,
          investigate: reply.investigate,
          status: 'ready'
        });
        if (reply.investigate.target) {
          await investigate(id, reply.investigate.target);
        }
        return;
      }
      update(id, {
        translation: reply.translation,
        proposal: reply.proposal,
        choices: reply.proposal ? [] : (reply.choices ?? []),
        status: 'ready'
      });
      await proposed(id, reply.proposal);
    } catch (e) {
      update(id, { status: 'error', message: message(e) });
    }
  };

  // An investigation's reads run (safe, audited) on the server; the turn shows its findings.
  const investigate = async (id: string, target: string) => {
    update(id, { status: 'working', message: '' });
    try {
      const inv = await api.investigate(target);
      update(id, { investigation: inv, status: 'done' });
      void refreshHealth(); // the audit head moved
    } catch (e) {
      update(id, { status: 'error', message: message(e) });
    }
  };

  // A next command (a finding's or a dashboard row's) becomes its own turn, proposed like a
  // typed command (a write waits for approval).
  const proposeNext = async (choice: IChoice) => {
    const id = `t${Date.now().toString(36)}-${++counter.current}`;
    const question = `Next step: ${choice.why}`;
    setTurns(ts => [
      ...ts,
      {
        id,
        question,
        proposal: null,
        status: 'working',
        message: 'Proposing…',
        confirmText: '',
        ran: false
      }
    ]);
    try {
      const p = await api.propose(choice.command);
      update(id, {
        proposal: p,
        translation: { explanation: `From the finding: ${choice.why}` },
        status: 'ready',
        message: ''
      });
      await proposed(id, p);
    } catch (e) {
      update(id, { status: 'error', message: message(e) });
    }
  };

  const whyActions: IWhyActions = {
    investigate: (turn, target) => {
      update(turn.id, {
        investigate: {
          ...(turn.investigate as NonNullable<ITurn['investigate']>),
          target,
          label: target,
          plan: []
        }
      });
      void investigate(turn.id, target);
    },
    // A finding's next command becomes its own turn, proposed like a typed command.
    propose: async (_turn, choice) => proposeNext(choice),
    save: host.saveNotebook
      ? async turn => {
          if (!turn.investigation || !host.saveNotebook) {
            return;
          }
          try {
            const path = await host.saveNotebook(turn.investigation);
            setNotice(`Saved the investigation as ${path}.`);
          } catch (e) {
            setNotice(`Could not save the investigation: ${message(e)}`);
          }
        }
      : undefined
  };

  // What follows a proposal, asked or picked: a safe one the policy approved runs (when the
  // settings say so), a forbidden one says why; anything else waits on its card.
  const proposed = async (id: string, p: IProposal | null) => {
    if (
      p &&
      p.state === 'approved' &&
      p.level === 'safe' &&
      settings.runSafeWithoutClick
    ) {
      await execute(id, p);
    } else if (p && p.state === 'refused') {
      update(id, {
        message: `Forbidden: it never runs. ${p.reasons.join('; ')}`
      });
    }
  };

  const actions: ICardActions = {
    approve: async turn => {
      const p = turn.proposal;
      if (!p) {
        return;
      }
      update(turn.id, {
        status: 'working',
        refused: false,
        message: 'Approving…'
      });
      try {
        const approved = await api.approve(
          p.id,
          p.level === 'dangerous' ? turn.confirmText : undefined
        );
        await execute(turn.id, approved);
      } catch (e) {
        update(turn.id, {
          status: 'ready',
          refused: true,
          message: `Not approved: ${message(e)}`
        });
      }
    },
    reject: async turn => {
      const p = turn.proposal;
      if (!p) {
        return;
      }
      update(turn.id, { status: 'working' });
      try {
        const rejected = await api.reject(
          p.id,
          'rejected in the KubeChat panel'
        );
        update(turn.id, {
          status: 'done',
          proposal: rejected,
          message: 'Rejected: nothing ran.'
        });
      } catch (e) {
        update(turn.id, { status: 'ready', message: message(e) });
      }
    },
    run: turn => {
      if (turn.proposal) {
        void execute(turn.id, turn.proposal);
      }
    },
    follow: turn => {
      if (turn.proposal) {
        void follow(turn.id, turn.proposal);
      }
    },
    insertCell: turn => {
      if (!turn.proposal) {
        return;
      }
      const why = host.insertCell(props.magicFor(turn.proposal));
      setNotice(
        why ?? `Inserted ${props.magicFor(turn.proposal)} into the notebook.`
      );
    },
    setConfirm: (turn, text) => update(turn.id, { confirmText: text }),
    copy: host.copy,
    pick: async (turn, choice) => {
      // The same route as a typed command: proposed, judged and approved as any other.
      update(turn.id, { status: 'working', message: 'Proposing…' });
      try {
        const p = await api.propose(choice.command);
        update(turn.id, {
          proposal: p,
          choices: [],
          translation: {
            ...turn.translation,
            explanation: `Picked: ${choice.why}`
          },
          status: 'ready',
          message: ''
        });
        await proposed(turn.id, p);
      } catch (e) {
        update(turn.id, { status: 'ready', message: message(e) });
      }
    }
  };

  const cancelPending = () => {
    const pending = [...turns]
      .reverse()
      .find(t => t.proposal && isPending(t.proposal));
    if (pending) {
      void actions.reject(pending);
    }
  };

  const saveRunbook = async () => {
    const runbookTurns: IRunbookTurn[] = turns.map(t => ({
      question: t.question,
      explanation: t.translation?.explanation,
      proposal: t.proposal && resolved(t.proposal),
      ran: t.ran
    }));
    try {
      const path = await host.saveRunbook(runbookTurns);
      setNotice(`Saved the runbook as ${path}.`);
    } catch (e) {
      setNotice(`Could not save the runbook: ${message(e)}`);
    }
  };

  return (
    <div
      className="jp-kubechat-app"
      onKeyDown={e => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          cancelPending();
        }
      }}
    >
      <Header
        health={health}
        error={healthError}
        onRefresh={() => void refreshHealth()}
      />
      <div
        className="jp-kubechat-tabs"
        role="tablist"
        aria-label="KubeChat views"
      >
        {(['chat', 'waiting', 'cluster', 'audit'] as const).map(name => (
          <button
            key={name}
            role="tab"
            aria-selected={tab === name}
            data-tab={name}
            className={`jp-kubechat-tab${tab === name ? ' jp-mod-current' : ''}`}
            onClick={() => setTab(name)}
          >
            {TAB_NAMES[name]}
            {name === 'waiting' && waiting.items.length > 0 && (
              <span
                className="jp-kubechat-count"
                data-testid="kc-waiting-count"
                aria-label={`${waiting.items.length} waiting for your decision`}
              >
                {waiting.items.length}
              </span>
            )}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        hidden={tab !== 'chat'}
        className="jp-kubechat-chat"
        aria-label="Conversation"
      >
        <div className="jp-kubechat-turns" aria-live="polite">
          {!turns.length && (
            <div className="jp-kubechat-empty">
              Ask about your cluster (&quot;pending pods across the
              cluster&quot;) or type a kubectl command. Reads run at once;
              writes wait for your approval.
            </div>
          )}
          {turns.map(t =>
            t.investigate ? (
              <WhyTurn key={t.id} turn={t} actions={whyActions} />
            ) : (
              <Card
                key={t.id}
                turn={t.proposal ? { ...t, proposal: resolved(t.proposal) } : t}
                rowsPerPage={settings.rowsPerPage}
                actions={actions}
              />
            )
          )}
          <div ref={endRef} />
        </div>
        {notice && (
          <div className="jp-kubechat-notice" role="status">
            {notice}
          </div>
        )}
        <div className="jp-kubechat-compose">
          <label htmlFor={inputId} className="jp-kubechat-visually-hidden">
            Ask KubeChat (Enter sends, Shift+Enter adds a line, Escape cancels a
            pending card)
          </label>
          <textarea
            id={inputId}
            className="jp-kubechat-input"
            rows={2}
            placeholder="Ask about the cluster… (Enter sends, Shift+Enter new line)"
            value={draft}
            onChange={e => setDraft(e.target.value)}
            onKeyDown={e => {
              if (
                e.key === 'Enter' &&
                !e.shiftKey &&
                !e.nativeEvent.isComposing
              ) {
                e.preventDefault();
                void send();
              }
            }}
          />
          <div className="jp-kubechat-compose-actions">
            <button
              className="jp-kubechat-button jp-mod-accept jp-kubechat-send"
              onClick={() => void send()}
            >
              Send
            </button>
            <button
              className="jp-kubechat-button jp-kubechat-save-runbook"
              onClick={() => void saveRunbook()}
              disabled={!turns.some(t => t.ran)}
              title="Write this conversation as a notebook that runs its commands again"
            >
              Save as runbook
            </button>
          </div>
        </div>
      </div>
      <div
        role="tabpanel"
        hidden={tab !== 'waiting'}
        className="jp-kubechat-waiting-panel"
        aria-label="Waiting for your decision"
      >
        <WaitingView api={api} waiting={waiting} />
      </div>
      <div
        role="tabpanel"
        hidden={tab !== 'cluster'}
        className="jp-kubechat-cluster-panel"
        aria-label="Cluster"
      >
        <Dashboard
          api={api}
          active={tab === 'cluster' && props.visible !== false}
          insertCell={async source => host.insertCell(source)}
          onPropose={choice => {
            setTab('chat');
            void proposeNext(choice);
          }}
        />
      </div>
      <div
        role="tabpanel"
        hidden={tab !== 'audit'}
        className="jp-kubechat-audit-panel"
        aria-label="Audit"
      >
        <AuditView api={api} active={tab === 'audit'} />
      </div>
    </div>
  );
}

/** The Lumino widget JupyterLab docks in the right sidebar. */
export class KubechatPanel extends ReactWidget {
  private _settings: IPanelSettings = { ...DEFAULT_SETTINGS };
  private _tabRequest: ITabRequest | null = null;

  constructor(
    private readonly _api: KubechatApi,
    private readonly _host: IPanelHost,
    private readonly _magicFor: (p: IProposal) => string
  ) {
    super();
    this.addClass('jp-kubechat-panel');
  }

  get settings(): IPanelSettings {
    return this._settings;
  }

  set settings(value: IPanelSettings) {
    this._settings = value;
    this.update();
  }

  /** Show one of the panel's tabs (the Waiting tab, from a link or a command). */
  showTab(tab: Tab): void {
    this._tabRequest = { tab, n: (this._tabRequest?.n ?? 0) + 1 };
    this.update();
  }

  render(): JSX.Element {
    return (
      <App
        api={this._api}
        host={this._host}
        settings={this._settings}
        magicFor={this._magicFor}
        visible={this.isVisible}
        tabRequest={this._tabRequest}
      />
    );
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.update(); // the Waiting list is read again
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.update(); // ... and no longer while hidden
  }
}
