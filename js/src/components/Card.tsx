/**
 * One turn of the side panel's conversation: the question, the command card (the shared
 * {@link ProposalCard}, with the panel's Run and Insert as cell) or a refusal's choices, then
 * the result.
 */

import * as React from 'react';

import { cardView } from '../cardView';
import {
  IChoice,
  IInvestigation,
  IProposal,
  IResult,
  ITranslation,
  IWhyRoute,
  isPending,
  shownCommand
} from '../model';
import { Choices } from './Choices';
import { ProposalCard } from './ProposalCard';
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
  /** A why-question about one object: the server's routing (components/WhyTurn.tsx). */
  investigate?: IWhyRoute;
  /** What the investigation found. */
  investigation?: IInvestigation | null;
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
  /** The approval page was opened: follow the proposal until a person decides there. */
  follow: (turn: ITurn) => void;
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
  const pending = p ? isPending(p) : false;
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
        <ProposalCard
          card={cardView(p, turn.translation)}
          state={p.state}
          pending={pending}
          canDecide={true}
          busy={busy}
          confirmText={turn.confirmText}
          onConfirmChange={text => actions.setConfirm(turn, text)}
          onApprove={() => actions.approve(turn)}
          onReject={() => actions.reject(turn)}
          approvalHref={p.approval_page}
          onApprovalPageOpened={() => actions.follow(turn)}
          error={p.error && p.error !== turn.message ? p.error : undefined}
        >
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
        </ProposalCard>
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
