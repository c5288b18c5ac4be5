/**
 * What the cards say, in one place for every face (the side panel and the notebook widgets):
 * the state of a proposal, who may approve it and how, and the choices' prompt.
 */

import { Level } from './model';

/** A proposal's state as a person reads it. */
export const STATE_TEXT: Record<string, string> = {
  proposed: 'waiting for approval',
  approved: 'approved',
  executing: 'running',
  executed: 'done',
  rejected: 'rejected',
  failed: 'failed',
  expired: 'expired',
  refused: 'forbidden: never runs'
};

export function stateText(state: string): string {
  return STATE_TEXT[state] || state;
}

/** The approve button's label: a dangerous command says so on the button itself. */
export function approveLabel(level: Level | string): string {
  return level === 'dangerous' ? 'Approve dangerous command' : 'Approve';
}

export const REJECT_LABEL = 'Reject';

/** The mark of a card whose model answer came from the LLM answer cache. */
export const CACHED_LABEL = 'cached answer';

/** What the mark says on hover: a cached answer is judged like a fresh one. */
export const CACHED_TITLE =
  'The model was not asked again: its earlier answer to the same question, for the same ' +
  'cluster view and policy, was reused. It was checked and judged like a fresh answer.';

/** The link of a card whose approval is given on the approval page (its own origin). */
export const APPROVAL_PAGE_LABEL = 'Approve on the approval page';

/** The label of the field a dangerous command's target name is typed into. */
export function confirmLabel(confirm: string): [string, string, string] {
  return ['Type ', confirm, ' to approve this dangerous command'];
}

/**
 * Who must approve a two-person proposal (docs/policy.md, "Two-person approval"): a member of
 * `group` other than its proposer. `proposer` is left out on the proposer's own card.
 */
export function twoPersonText(group: string, proposer?: string): string {
  const who = proposer ? `${proposer} (the proposer)` : 'you';
  return `needs approval by a member of ${group} other than ${who}`;
}

/** Who may approve a command of `level`, and where (DESIGN.md section 5, C4). */
export function approvalHint(level: string, confirm?: string | null): string {
  if (level === 'safe') {
    return 'Read-only: approved by policy and run at once.';
  }
  if (level === 'warning') {
    return (
      'Approve here or in the kubechat side panel. From code: re-run with --approve, ' +
      'which works only for a capability with the approve:warning scope.'
    );
  }
  if (level === 'dangerous') {
    return (
      `Dangerous: approve it on the approval page (the link on this card or in the kubechat ` +
      `side panel), typing '${confirm ?? ''}' there. Neither a kernel nor the notebook page ` +
      'can approve it.'
    );
  }
  return 'Forbidden by policy: it never runs.';
}

/** What a card says where the page has no route to the server (VS Code's webview). */
export function elsewhereText(
  level: string,
  id: string
): [string, string, string] {
  return [
    'This view cannot reach the kubechat server (VS Code and other front ends without a ' +
      'Jupyter page). Approve proposal ',
    id,
    ' in JupyterLab or Notebook 7 on this server (this card or the kubechat side panel)' +
      (level === 'warning'
        ? ", or re-run with --approve where the kernel's capability has the approve:warning scope."
        : '; a kernel can never approve a dangerous command.')
  ];
}

export const CHOICES_PROMPT =
  'Did you mean (a click proposes it; nothing runs without the usual approval):';

export const APPROVED_HERE = 'approved here; the kernel runs it now';
export const REJECTED_HERE = 'Rejected: nothing ran.';
