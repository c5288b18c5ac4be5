/**
 * The command card, the same in every face (the side panel's turns and the notebook widgets):
 * level badge in text, the command, context and state, the manifest `-f -` sends, explanation,
 * reasons, assumptions, notes, the server-side dry run, and the decision (Approve / Reject,
 * the typed name for a dangerous command), or, where the page cannot reach the server, where
 * to decide instead. The host decides what a click does (`onApprove`, `onReject`).
 */

import * as React from 'react';

import { ICardView } from '../cardView';
import { levelLabel } from '../model';
import {
  APPROVAL_PAGE_LABEL,
  approveLabel,
  CACHED_LABEL,
  CACHED_TITLE,
  confirmLabel,
  elsewhereText,
  REJECT_LABEL,
  stateText,
  twoPersonText
} from '../wording';

export interface IProposalCardProps {
  card: ICardView;
  state: string;
  /** Whether Approve / Reject are shown (a pending warning or dangerous proposal). */
  pending: boolean;
  /** False where the page has no route to the server: the card says where to decide. */
  canDecide: boolean;
  busy: boolean;
  confirmText: string;
  onConfirmChange: (text: string) => void;
  onApprove: () => void;
  onReject: () => void;
  /** A status line under the actions (the kernel's "waiting for approval… 12 s"). */
  message?: string;
  error?: string;
  /** Host-specific buttons after Approve / Reject (the panel's Run and Insert as cell). */
  children?: React.ReactNode;
  /**
   * Where a person approves it when the server wants that done on the approval page (its own
   * origin, its own sign-in): then the card links there instead of approving in this page.
   */
  approvalHref?: string | null;
  /** Called when the person opens the approval page (the host may follow the decision). */
  onApprovalPageOpened?: () => void;
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

export function ProposalCard(props: IProposalCardProps): JSX.Element {
  const { card, state } = props;
  const level = card.level || 'unknown';
  const confirmId = React.useId();
  const decide = props.pending && props.canDecide;
  const onPage = decide && !!card.approval_page && !!props.approvalHref;
  const [before, name, after] = confirmLabel(card.confirm);
  return (
    <section
      className={`jp-kubechat-card jp-kubechat-level-${level}`}
      aria-label={`${levelLabel(level)} command card`}
      data-testid="kc-card"
      data-proposal={card.id}
      data-level={level}
      data-state={state}
    >
      <div className="jp-kubechat-card-top">
        <span
          className={`jp-kubechat-badge jp-kubechat-badge-${level}`}
          aria-label={`Level: ${level}`}
          data-testid="kc-level"
        >
          {levelLabel(level)}
        </span>
        <code className="jp-kubechat-command" data-testid="kc-command">
          {card.command}
        </code>
      </div>
      <div className="jp-kubechat-meta">
        <span>context: {card.context || '(default)'}</span>
        {card.namespace && <span> · namespace: {card.namespace}</span>}
        <span className="jp-kubechat-state" data-testid="kc-state">
          {' · '}
          {stateText(state)}
        </span>
        {card.approver && <span> · approved by {card.approver}</span>}
        {card.cached && (
          <span
            className="jp-kubechat-cached"
            data-testid="kc-cached"
            title={CACHED_TITLE}
          >
            {' · '}
            {CACHED_LABEL}
          </span>
        )}
      </div>
      {card.approvers && state === 'proposed' && (
        <p className="jp-kubechat-two-person" data-testid="kc-two-person">
          {twoPersonText(card.approvers)}
        </p>
      )}
      {card.manifest && (
        <details className="jp-kubechat-manifest" open>
          <summary>the manifest -f - sends</summary>
          <pre className="jp-kubechat-text" data-testid="kc-manifest">
            {card.manifest}
          </pre>
        </details>
      )}
      {card.explanation && (
        <p className="jp-kubechat-explanation">{card.explanation}</p>
      )}
      <List
        title="Why this level"
        items={card.reasons}
        className="jp-kubechat-reasons"
      />
      <List
        title="Assumptions"
        items={card.assumptions}
        className="jp-kubechat-assumptions"
      />
      <List title="Notes" items={card.notes} className="jp-kubechat-notes" />
      {(card.diff || card.preview_error) && (
        <div className="jp-kubechat-preview">
          <span className="jp-kubechat-label">
            {card.diff
              ? 'Dry run (server side): what would change'
              : 'Dry run failed'}
          </span>
          <pre className="jp-kubechat-diff" data-testid="kc-diff">
            {card.diff || card.preview_error}
          </pre>
        </div>
      )}
      {props.pending && !props.canDecide && (
        <div className="jp-kubechat-elsewhere" data-testid="kc-elsewhere">
          {elsewhereText(level, card.id)[0]}
          <code>{card.id}</code>
          {elsewhereText(level, card.id)[2]}
        </div>
      )}
      {onPage && (
        <a
          className="jp-kubechat-button jp-kubechat-approval-page kc-approval-page"
          data-testid="kc-approval-page"
          href={props.approvalHref ?? undefined}
          target="_blank"
          rel="noopener noreferrer"
          onClick={() => props.onApprovalPageOpened?.()}
        >
          {APPROVAL_PAGE_LABEL}
        </a>
      )}
      {decide && !onPage && level === 'dangerous' && (
        <div className="jp-kubechat-confirm">
          <label htmlFor={confirmId}>
            {before}
            <code>{name}</code>
            {after}
          </label>
          <input
            id={confirmId}
            className="jp-kubechat-confirm-input"
            data-testid="kc-confirm"
            value={props.confirmText}
            placeholder={`type ${card.confirm} to approve`}
            autoComplete="off"
            spellCheck={false}
            onChange={e => props.onConfirmChange(e.target.value)}
            onKeyDown={e => {
              if (e.key === 'Enter') {
                e.preventDefault();
                props.onApprove();
              }
            }}
          />
        </div>
      )}
      <div className="jp-kubechat-actions">
        {decide && (
          <>
            {!onPage && (
              <button
                type="button"
                className="jp-kubechat-button jp-mod-accept jp-kubechat-approve"
                data-testid="kc-approve"
                disabled={props.busy}
                onClick={props.onApprove}
                aria-label={`Approve ${level} command ${card.command}`}
              >
                {approveLabel(level)}
              </button>
            )}
            <button
              type="button"
              className="jp-kubechat-button jp-mod-reject jp-kubechat-reject"
              data-testid="kc-reject"
              disabled={props.busy}
              onClick={props.onReject}
              aria-label={`Reject command ${card.command}`}
            >
              {REJECT_LABEL}
            </button>
          </>
        )}
        {props.children}
      </div>
      {props.message !== undefined && (
        <div className="jp-kubechat-message" data-testid="kc-message">
          {props.message}
        </div>
      )}
      {props.error !== undefined && (
        <div
          className="jp-kubechat-error"
          data-testid="kc-error"
          role={props.error ? 'alert' : undefined}
        >
          {props.error}
        </div>
      )}
    </section>
  );
}
