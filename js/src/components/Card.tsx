/**
 * One turn of the conversation: the question, and the command card (level badge in text,
 * reasons, assumptions, explanation, dry-run diff for writes, Approve / Reject, the typed
 * name for dangerous commands), then the result.
 */

import * as React from 'react';

import {
  IChoice,
  IProposal,
  IResult,
  ITranslation,
  isPending,
  levelLabel,
  shownCommand
} from '../model';
import { Choices } from './Choices';
import { ResultTable } from './ResultTable';

export type TurnStatus = 'asking' | 'ready' | 'working' | 'done' | 'error';

export interface ITurn {
  id: string;
  question: string;
  translation?: ITranslation;
  proposal: IProposal | null;
  /** The readings a refusal offered (until one is picked and becomes `proposal`). */
  choices?: IChoice[];
  result?: IResult | null;
  status: TurnStatus;
  message?: string;
  confirmText: string;
  ran: boolean;
  /** The last action was refused (shown as an error; the card stays pending). */
  refused?: boolean;
}

export interface ICardActions {
  approve: (turn: ITurn) => void;
  reject: (turn: ITurn) => void;
  run: (turn: ITurn) => void;
  insertCell: (turn: ITurn) => void;
  setConfirm: (turn: ITurn, text: string) => void;
  copy: (csv: string) => Promise<void>;
  /** Propose a choice of a refusal like a typed command. */
  pick: (turn: ITurn, choice: IChoice) => void;
}

function List(props: {
  title: string;
  items?: string[];
  className: string;
}): JSX.Element | null {
  if (!props.items || !props.items.length) {
    return null;
  }
  return (
    <div className={props.className}>
      <span className="jp-kubechat-label">{props.title}</span>
      <ul>
        {props.items.map((item, i) => (
          <li key={i}>{item}</li>
        ))}
      </ul>
    </div>
  );
}

function Result(props: {
  turn: ITurn;
  rowsPerPage: number;
  copy: (csv: string) => Promise<void>;
}): JSX.Element | null {
  const r = props.turn.result;
  if (!r) {
    return null;
  }
  const hasTable =
    r.columns &&
    r.columns.length > 0 &&
    r.data &&
    r.data.length > 0 &&
    r.data[0].length > 0;
  return (
    <div className="jp-kubechat-output">
      {r.diff && <pre className="jp-kubechat-diff">{r.diff}</pre>}
      {hasTable ? (
        <ResultTable
          result={r}
          rowsPerPage={props.rowsPerPage}
          label={`Result of ${props.turn.proposal ? shownCommand(props.turn.proposal) : 'the command'}`}
          onCopy={props.copy}
        />
      ) : r.text ? (
        <pre className="jp-kubechat-text">{r.text}</pre>
      ) : (
        !r.diff && <div className="jp-kubechat-empty">No rows.</div>
      )}
    </div>
  );
}

export function Card(props: {
  turn: ITurn;
  rowsPerPage: number;
  actions: ICardActions;
}): JSX.Element {
  const { turn, actions } = props;
  const p = turn.proposal;
  const confirmId = React.useId();
  const explanation = turn.translation?.explanation || p?.explanation;
  const assumptions = p?.assumptions?.length
    ? p.assumptions
    : turn.translation?.assumptions;
  const notes = p?.notes?.length ? p.notes : turn.translation?.notes;
  const pending = p ? isPending(p) : false;
  // Approved only on the approval page (another origin, its own sign-in): link there.
  const onPage = pending && !!p?.approval_page;
  const busy = turn.status === 'working' || turn.status === 'asking';
  return (
    <article
      className="jp-kubechat-turn"
      aria-label={`Question: ${turn.question}`}
      data-turn={turn.id}
    >
      <div className="jp-kubechat-question">
        <span className="jp-kubechat-visually-hidden">You asked: </span>
        {turn.question}
      </div>
      {turn.status === 'asking' && (
        <div className="jp-kubechat-progress" role="status">
          Translating…
        </div>
      )}
      {p && (
        <section
          className={`jp-kubechat-card jp-kubechat-level-${p.level}`}
          aria-label={`${levelLabel(p.level)} command card`}
          data-proposal={p.id}
          data-state={p.state}
        >
          <div className="jp-kubechat-card-top">
            <span
              className={`jp-kubechat-badge jp-kubechat-badge-${p.level}`}
              aria-label={`Level: ${p.level}`}
            >
              {levelLabel(p.level)}
            </span>
            <code className="jp-kubechat-command">{shownCommand(p)}</code>
          </div>
          <div className="jp-kubechat-meta">
            <span>context: {p.context || '(default)'}</span>
            {p.namespace && <span> · namespace: {p.namespace}</span>}
            <span className="jp-kubechat-state"> · {p.state}</span>
            {p.approver && <span> · approved by {p.approver}</span>}
          </div>
          {explanation && (
            <p className="jp-kubechat-explanation">{explanation}</p>
          )}
          <List
            title="Why this level"
            items={p.reasons}
            className="jp-kubechat-reasons"
          />
          <List
            title="Assumptions"
            items={assumptions}
            className="jp-kubechat-assumptions"
          />
          <List title="Notes" items={notes} className="jp-kubechat-notes" />
          {p.preview && (
            <div className="jp-kubechat-preview">
              <span className="jp-kubechat-label">
                {p.preview.status === 'dry-run'
                  ? 'Dry run (server side): what would change'
                  : 'Dry run failed'}
              </span>
              <pre className="jp-kubechat-diff">
                {p.preview.diff || p.preview.message || '(no change)'}
              </pre>
            </div>
          )}
          {onPage && (
            <a
              className="jp-kubechat-button jp-kubechat-approval-page"
              href={p.approval_page ?? undefined}
              target="_blank"
              rel="noopener noreferrer"
            >
              Approve on the approval page
            </a>
          )}
          {pending && !onPage && p.level === 'dangerous' && (
            <div className="jp-kubechat-confirm">
              <label htmlFor={confirmId}>
                Type <code>{p.confirm}</code> to approve this dangerous command
              </label>
              <input
                id={confirmId}
                className="jp-kubechat-confirm-input"
                value={turn.confirmText}
                autoComplete="off"
                onChange={e => actions.setConfirm(turn, e.target.value)}
                onKeyDown={e => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    actions.approve(turn);
                  }
                }}
              />
            </div>
          )}
          <div className="jp-kubechat-actions">
            {pending && (
              <>
                {!onPage && (
                  <button
                    className="jp-kubechat-button jp-mod-accept jp-kubechat-approve"
                    disabled={busy}
                    onClick={() => actions.approve(turn)}
                    aria-label={`Approve ${p.level} command ${shownCommand(p)}`}
                  >
                    Approve
                  </button>
                )}
                <button
                  className="jp-kubechat-button jp-mod-reject jp-kubechat-reject"
                  disabled={busy}
                  onClick={() => actions.reject(turn)}
                  aria-label={`Reject command ${shownCommand(p)}`}
                >
                  Reject
                </button>
              </>
            )}
            {p.state === 'approved' && !turn.ran && (
              <button
                className="jp-kubechat-button jp-kubechat-run"
                disabled={busy}
                onClick={() => actions.run(turn)}
              >
                Run
              </button>
            )}
            {p.level !== 'forbidden' && (
              <button
                className="jp-kubechat-button jp-kubechat-insert"
                onClick={() => actions.insertCell(turn)}
                title="Insert this command as a %kubectl cell in the active notebook"
              >
                Insert as cell
              </button>
            )}
          </div>
          {p.error && p.error !== turn.message && (
            <div className="jp-kubechat-error" role="alert">
              {p.error}
            </div>
          )}
        </section>
      )}
      {!p && turn.status !== 'asking' && turn.translation && (
        <div className="jp-kubechat-nocommand" role="status">
          No command for this question.
          {turn.choices?.length && turn.translation.explanation ? (
            <div>{turn.translation.explanation}</div>
          ) : null}
          {(turn.translation.notes || []).map((n, i) => (
            <div key={i}>{n}</div>
          ))}
        </div>
      )}
      {!p && turn.choices && turn.choices.length > 0 && (
        <Choices
          choices={turn.choices}
          busy={busy}
          onPick={choice => actions.pick(turn, choice)}
        />
      )}
      {turn.message && (
        <div
          className={
            turn.status === 'error' || turn.refused
              ? 'jp-kubechat-error'
              : 'jp-kubechat-message'
          }
          role="alert"
        >
          {turn.message}
        </div>
      )}
      <Result turn={turn} rowsPerPage={props.rowsPerPage} copy={actions.copy} />
    </article>
  );
}
