/**
 * The notebook widgets' views (kubechat_lab/widgets: CommandCard, ChatPanel, LiveTable),
 * made of the same components as the side panel: {@link ProposalCard}, {@link Choices} and
 * {@link ResultTable}. The kernel sends a card's fields (`card_fields`), its state and the
 * kernel's status message; Approve / Reject go from this page to the server (C4).
 */

import * as React from 'react';

import { apiUrl, KubechatApi } from '../api';
import { ICardView } from '../cardView';
import { Choices } from '../components/Choices';
import { Findings, WhyRouteView } from '../components/Findings';
import { ProposalCard } from '../components/ProposalCard';
import { ResultTable } from '../components/ResultTable';
import { IChoice, IResult } from '../model';
import { APPROVED_HERE, approvalHint, REJECTED_HERE } from '../wording';
import { IExperimental, IWidgetModel, useTrait } from './model';

/**
 * The approval page's entry for proposal `id`: a route of this page's own server (it sends a
 * signed-in browser on to the approval origin), never a URL the kernel supplied.
 */
function approvalHref(api: KubechatApi | null, id: string): string | null {
  const base = api?.transport?.baseUrl;
  return base === undefined
    ? null
    : apiUrl(base, `proposals/${encodeURIComponent(id)}/approval-page`);
}

const ROWS_PER_PAGE = 15;

async function copyText(text: string): Promise<void> {
  await navigator.clipboard.writeText(text);
}

function asResult(columns: string[], rows: unknown[][]): IResult {
  return {
    kind: 'table',
    status: 'ok',
    columns: columns.map(c => [c, 'str'] as [string, string]),
    data: rows.map(r => r.map(v => (v === null ? '' : v))),
    text: null,
    diff: null
  };
}

interface IResultSummary {
  kind?: string;
  rows?: number;
  columns?: string[];
}

function summary(result: IResultSummary): string {
  const cols = result.columns || [];
  const shown = cols.slice(0, 6).join(', ') + (cols.length > 6 ? ', …' : '');
  return (
    `${result.kind}: ${result.rows} rows` +
    (cols.length ? ` × ${cols.length} columns (${shown})` : '')
  );
}

/**
 * One proposal's card in a notebook: the shared card, deciding through `api` (null: this page
 * cannot reach the server, and the card says where to decide). `after` runs once the server
 * said yes (the kernel then runs it, or refreshes the chat).
 */
export function WidgetCard(props: {
  card: ICardView;
  state: string;
  message: string;
  api: KubechatApi | null;
  approved?: (id: string) => void;
  rejected?: (id: string) => void;
}): JSX.Element {
  const { card, state, api } = props;
  const [confirmText, setConfirmText] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState('');
  const [decided, setDecided] = React.useState<string | null>(null);
  const [shownMessage, setShownMessage] = React.useState(props.message);
  React.useEffect(() => setShownMessage(props.message), [props.message]);
  const level = String(card.level || 'unknown');
  const pending =
    state === 'proposed' &&
    decided === null &&
    (level === 'warning' || level === 'dangerous');

  const decide = async (
    call: () => Promise<unknown>,
    done: string,
    after?: (id: string) => void
  ) => {
    setError('');
    setBusy(true);
    try {
      await call();
      setDecided(done);
      setShownMessage(done);
      after?.(card.id);
    } catch (e) {
      setError(String((e as Error)?.message || e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ProposalCard
      card={card}
      state={state}
      pending={pending}
      canDecide={api !== null}
      busy={busy}
      confirmText={confirmText}
      onConfirmChange={setConfirmText}
      onApprove={() =>
        api &&
        void decide(
          () =>
            api.approve(
              card.id,
              level === 'dangerous' ? confirmText : undefined
            ),
          APPROVED_HERE,
          props.approved
        )
      }
      onReject={() =>
        api &&
        void decide(
          () => api.reject(card.id, 'rejected on the card'),
          REJECTED_HERE,
          props.rejected
        )
      }
      message={shownMessage}
      error={error}
      approvalHref={approvalHref(api, card.id)}
    >
      {state === 'proposed' && !pending && decided === null && (
        <span className="jp-kubechat-hint">
          {approvalHint(level, card.confirm)}
        </span>
      )}
    </ProposalCard>
  );
}

/** A refusal's choices with the question they answer and the server's explanation. */
function ChoicesBox(props: {
  question?: string;
  explanation?: string;
  choices: IChoice[];
  picked?: number | null;
  pick: (index: number) => Promise<{ error?: string } | undefined>;
}): JSX.Element {
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState('');
  return (
    <div className="jp-kubechat-widget-choices" data-testid="kc-choices">
      {props.question && (
        <div className="jp-kubechat-question">{props.question}</div>
      )}
      {props.explanation && (
        <p className="jp-kubechat-explanation">{props.explanation}</p>
      )}
      <Choices
        choices={props.choices}
        busy={busy}
        picked={props.picked}
        onPick={async (_choice, index) => {
          setBusy(true);
          setError('');
          const reply = await props.pick(index);
          if (reply && reply.error) {
            setError(reply.error);
            setBusy(false);
          }
        }}
      />
      <div className="jp-kubechat-error" data-testid="kc-error">
        {error}
      </div>
    </div>
  );
}

/** `CommandCard`: one proposal, or a refusal's choices until one is picked. */
export function CardView(props: {
  model: IWidgetModel;
  experimental: IExperimental;
  api: KubechatApi | null;
}): JSX.Element {
  const { model, experimental } = props;
  const card = useTrait<ICardView & { question?: string }>(model, 'card');
  const state = useTrait<string>(model, 'state');
  const message = useTrait<string>(model, 'message') || '';
  const result = useTrait<IResultSummary>(model, 'result') || {};
  const choices = useTrait<IChoice[]>(model, 'choices') || [];
  // A card of choices becomes the card of the proposal picked here; once approved on this
  // card, the kernel runs it (a %kubechat card's own proposal is run by the waiting kernel).
  const picked = React.useRef(false);
  return (
    <div className="jp-kubechat-widget">
      {choices.length ? (
        <ChoicesBox
          question={card.question}
          explanation={card.explanation}
          choices={choices}
          pick={async index => {
            picked.current = true;
            const [reply] = await experimental.invoke('pick', { index });
            return reply;
          }}
        />
      ) : (
        <>
          {card.question && (
            <div className="jp-kubechat-question">{card.question}</div>
          )}
          <WidgetCard
            card={card}
            state={state}
            message={message}
            api={props.api}
            approved={id => {
              if (picked.current) {
                void experimental.invoke('execute', { id });
              }
            }}
          />
          {result.kind && (
            <div className="jp-kubechat-message" data-testid="kc-result">
              {summary(result)}
            </div>
          )}
        </>
      )}
    </div>
  );
}

interface IChart {
  label: string;
  bars: [string, number][];
}

function BarChart(props: { chart: IChart }): JSX.Element {
  const width = 420;
  const bar = 16;
  const gap = 4;
  const labelWidth = 180;
  const bars = props.chart.bars;
  const max = Math.max(1, ...bars.map(b => b[1]));
  const scale = (v: number) => ((width - labelWidth - 50) * v) / max;
  return (
    <div className="jp-kubechat-chart">
      <div className="jp-kubechat-message">{props.chart.label}</div>
      <svg
        width={width}
        height={bars.length * (bar + gap) + 20}
        data-testid="kc-chart"
      >
        {bars.map(([label, value], i) => {
          const y = i * (bar + gap);
          return (
            <g key={i}>
              <text x={0} y={y + bar - 4}>
                {label.length > 26 ? `${label.slice(0, 25)}…` : label}
              </text>
              <rect
                className="jp-kubechat-bar"
                x={labelWidth}
                y={y}
                height={bar}
                width={Math.max(1, scale(value))}
              />
              <text x={labelWidth + scale(value) + 4} y={y + bar - 4}>
                {String(value)}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

interface IPreviewItem {
  id: string;
  preview?: {
    kind: string;
    shape: [number, number];
    columns: string[];
    rows: unknown[][];
    chart?: IChart | null;
  } | null;
  text?: string;
}

/** A chat result: its first rows in the shared table, a chart, "Keep as variable". */
function Preview(props: {
  item: IPreviewItem;
  experimental: IExperimental;
  note: (text: string) => void;
}): JSX.Element {
  const p = props.item.preview;
  const [name, setName] = React.useState('');
  return (
    <div className="jp-kubechat-output" data-testid="kc-preview">
      {p && (
        <>
          <div className="jp-kubechat-message">
            {`${p.kind}: ${p.shape[0]} rows × ${p.shape[1]} columns`}
          </div>
          <ResultTable
            result={asResult(p.columns, p.rows)}
            rowsPerPage={ROWS_PER_PAGE}
            label={`First rows of ${p.kind}`}
            onCopy={copyText}
          />
          {p.chart && <BarChart chart={p.chart} />}
          <div className="jp-kubechat-actions">
            <input
              className="jp-kubechat-keep-name"
              type="text"
              placeholder="variable name"
              data-testid="kc-keep-name"
              value={name}
              onChange={e => setName(e.target.value)}
            />
            <button
              type="button"
              className="jp-kubechat-button"
              data-testid="kc-keep"
              onClick={async () => {
                const [reply] = await props.experimental.invoke('keep', {
                  id: props.item.id,
                  name
                });
                props.note(reply.error ? reply.error : `kept as ${reply.name}`);
              }}
            >
              Keep as variable
            </button>
          </div>
        </>
      )}
      {props.item.text && (
        <pre className="jp-kubechat-text">{props.item.text}</pre>
      )}
    </div>
  );
}

/** `ChatPanel`: the conversation in a notebook cell. */
export function ChatView(props: {
  model: IWidgetModel;
  experimental: IExperimental;
  api: KubechatApi | null;
}): JSX.Element {
  const { model, experimental } = props;
  const messages = useTrait<any[]>(model, 'messages') || [];
  const [note, setNote] = React.useState('');
  const [draft, setDraft] = React.useState('');
  const [asking, setAsking] = React.useState(false);
  const history = React.useRef<HTMLDivElement>(null);
  const input = React.useRef<HTMLInputElement>(null);
  React.useEffect(() => {
    const h = history.current;
    if (h) {
      h.scrollTop = h.scrollHeight;
    }
  }, [messages]);
  const send = async () => {
    const question = draft.trim();
    if (!question) {
      return;
    }
    setDraft('');
    setAsking(true);
    setNote('thinking…');
    try {
      const [reply] = await experimental.invoke('ask', { question });
      setNote(reply && reply.error ? reply.error : '');
    } finally {
      setAsking(false);
      setTimeout(() => input.current?.focus(), 0);
    }
  };
  const approved = async (id: string) => {
    setNote('running…');
    const [r] = await experimental.invoke('execute', { id });
    setNote(r && r.error ? r.error : '');
  };
  const rejected = async (id: string) => {
    await experimental.invoke('refresh', { id });
  };
  return (
    <div className="jp-kubechat-widget jp-kubechat-chat" data-testid="kc-chat">
      <div
        className="jp-kubechat-history"
        data-testid="kc-history"
        ref={history}
      >
        {messages.map((item, at) => {
          if (item.role === 'user') {
            return (
              <div key={at} className="jp-kubechat-question">
                {item.text}
              </div>
            );
          }
          if (item.role === 'choices') {
            return (
              <ChoicesBox
                key={at}
                explanation={item.explanation}
                choices={item.choices}
                picked={item.picked}
                pick={async index => {
                  const [reply] = await experimental.invoke('pick', {
                    at,
                    index
                  });
                  return reply;
                }}
              />
            );
          }
          if (item.role === 'why') {
            // a why-question about one object: its plan, then the shared findings
            return (
              <div key={at} className="jp-kubechat-why-turn">
                {item.investigation ? (
                  <Findings
                    investigation={item.investigation}
                    busy={asking}
                    onPropose={async choice => {
                      const next = item.investigation.next || [];
                      const [reply] = await experimental.invoke(
                        'propose_next',
                        {
                          at,
                          index: next.indexOf(choice)
                        }
                      );
                      setNote(reply && reply.error ? reply.error : '');
                    }}
                  />
                ) : (
                  <WhyRouteView
                    route={item.route}
                    running={asking}
                    busy={asking}
                    onInvestigate={async target => {
                      setAsking(true);
                      setNote('investigating…');
                      try {
                        const [reply] = await experimental.invoke(
                          'investigate',
                          {
                            at,
                            target
                          }
                        );
                        setNote(reply && reply.error ? reply.error : '');
                      } finally {
                        setAsking(false);
                      }
                    }}
                  />
                )}
              </div>
            );
          }
          if (item.role === 'error') {
            return (
              <div key={at} className="jp-kubechat-error">
                {item.text}
              </div>
            );
          }
          if (item.role === 'card') {
            return (
              <WidgetCard
                key={`${at}-${item.card.id}`}
                card={item.card}
                state={item.state}
                message={item.message || ''}
                api={props.api}
                approved={id => void approved(id)}
                rejected={id => void rejected(id)}
              />
            );
          }
          if (item.role === 'result') {
            return (
              <Preview
                key={at}
                item={item}
                experimental={experimental}
                note={setNote}
              />
            );
          }
          return <div key={at}>{JSON.stringify(item)}</div>;
        })}
      </div>
      <div className="jp-kubechat-message" data-testid="kc-note">
        {note}
      </div>
      <input
        ref={input}
        className="jp-kubechat-input"
        type="text"
        data-testid="kc-input"
        placeholder="Ask about your cluster, then Enter"
        value={draft}
        disabled={asking}
        onChange={e => setDraft(e.target.value)}
        onKeyDown={e => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            void send();
          }
        }}
      />
    </div>
  );
}

/** `LiveTable`: a watch's rows, updated by the kernel, with Stop. */
export function LiveView(props: {
  model: IWidgetModel;
  api: KubechatApi | null;
}): JSX.Element {
  const { model, api } = props;
  const columns = useTrait<string[]>(model, 'columns') || [];
  const rows = useTrait<unknown[][]>(model, 'rows') || [];
  const status = useTrait<string>(model, 'status');
  const events = useTrait<number>(model, 'events');
  const elapsed = useTrait<number>(model, 'elapsed') || 0;
  const total = useTrait<number>(model, 'total');
  const last = useTrait<string>(model, 'last');
  const command = useTrait<string>(model, 'command');
  const [stopping, setStopping] = React.useState(false);
  const [error, setError] = React.useState('');
  const live = status === 'watching' || status === 'starting';
  const result = React.useMemo(() => asResult(columns, rows), [columns, rows]);
  const stop = async () => {
    if (!api) {
      return;
    }
    setStopping(true);
    try {
      await api.stopWatch(String(model.get('proposal_id')));
    } catch (e) {
      setError(String((e as Error)?.message || e));
      setStopping(false);
    }
  };
  return (
    <div className="jp-kubechat-widget jp-kubechat-live" data-testid="kc-live">
      <div className="jp-kubechat-actions">
        <code className="jp-kubechat-command">{command}</code>
        <span data-testid="kc-live-status">
          {` ${status} · ${total} rows · ${events} changes · ${elapsed.toFixed(1)} s`}
        </span>
        {last && (
          <span className="jp-kubechat-message">{` · last: ${last}`}</span>
        )}
        {live && api !== null && (
          <button
            type="button"
            className="jp-kubechat-button"
            data-testid="kc-stop"
            disabled={stopping}
            onClick={() => void stop()}
          >
            Stop
          </button>
        )}
        {live && api === null && (
          <span className="jp-kubechat-hint">
            {' '}
            interrupt the kernel to stop
          </span>
        )}
        <span className="jp-kubechat-error">{error}</span>
      </div>
      <ResultTable
        result={result}
        rowsPerPage={ROWS_PER_PAGE}
        label={`Live rows of ${command}`}
        onCopy={copyText}
      />
    </div>
  );
}
