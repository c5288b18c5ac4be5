/**
 * The fields a command card shows, from a proposal (docs/openapi.yaml `Proposal`) and its
 * translation. The notebook widgets get the same fields from the kernel
 * (kubechat_lab/widgets/_cards.py `card_fields`); js/src/__tests__/faces.spec.tsx checks that
 * both faces render a proposal the same way.
 */

import { IProposal, ITranslation, Level } from './model';

export interface ICardView {
  id: string;
  command: string;
  level: Level | string;
  context: string;
  namespace?: string | null;
  manifest?: string;
  reasons: string[];
  assumptions: string[];
  notes?: string[];
  explanation: string;
  /** The server-side dry run's diff of a write ('' when none ran or it failed). */
  diff: string;
  /** Why the dry run failed ('' when it did not). */
  preview_error: string;
  confirm: string;
  approver?: string;
  /** Whether it is approved on the approval page, never in this page (what the server says). */
  approval_page?: boolean;
  /** Two-person approval: the group whose member, never the proposer, approves it ('' none). */
  approvers?: string;
  /** Whether the model's answer came from the LLM answer cache (the card marks it). */
  cached?: boolean;
}

function manifestOf(p: IProposal): string {
  const m = (p.parsed || {})['manifest'];
  return typeof m === 'string' ? m : '';
}

/** Return the card fields of `p` (what `card_fields` returns on the kernel side). */
export function cardView(p: IProposal, translation?: ITranslation): ICardView {
  const preview = p.preview || null;
  return {
    approval_page: Boolean(p.approval_page),
    id: p.id,
    command: p.display || p.command,
    level: p.level,
    context: p.context || '',
    namespace: p.namespace,
    manifest: manifestOf(p),
    reasons: [...(p.reasons || [])],
    assumptions: [
      ...(p.assumptions?.length
        ? p.assumptions
        : translation?.assumptions || [])
    ],
    notes: [...(p.notes?.length ? p.notes : translation?.notes || [])],
    explanation: translation?.explanation || p.explanation || '',
    diff: preview?.diff || '',
    preview_error:
      preview?.status === 'error'
        ? preview.message || 'the dry run failed'
        : '',
    confirm: p.confirm || '',
    approver: p.approver || '',
    approvers: p.approvers || '',
    cached: Boolean(p.cached ?? translation?.cached)
  };
}
