/**
 * Plain data of the kubechat REST API (docs/openapi.yaml) and helpers that need no JupyterLab.
 */

export type Level = 'safe' | 'warning' | 'dangerous' | 'forbidden';

export type ProposalState =
  | 'proposed'
  | 'approved'
  | 'rejected'
  | 'refused'
  | 'executing'
  | 'executed'
  | 'failed';

/** A columnar result of an executed command (`Result.to_json` on the server). */
export interface IResult {
  kind: string;
  status: string;
  columns: [string, string][];
  data: unknown[][];
  text: string | null;
  diff: string | null;
}

export interface IPreview {
  status: string;
  diff?: string | null;
  message?: string;
  result?: IResult | null;
}

/**
 * A command whose secret values are parameters (`secret_template` of a proposal): arguments
 * (unquoted, no `kubectl`) and the inline manifest as literal strings and parameter indexes.
 * `args` is null when the values cannot be put back (the runbook then says so).
 */
export interface ISecretTemplate {
  args: (string | number)[][] | null;
  manifest: (string | number)[] | null;
  params: { where: string; encoding: string[] }[];
}

/** One proposal as the server serves it (C2: `context` is the resolved context). */
export interface IProposal {
  id: string;
  command: string;
  display?: string | null;
  parsed?: Record<string, unknown>;
  level: Level;
  reasons: string[];
  rule_ids?: string[];
  state: ProposalState;
  context: string | null;
  namespace: string | null;
  user?: string;
  source?: string;
  question?: string | null;
  provider?: string | null;
  explanation?: string;
  assumptions?: string[];
  notes?: string[];
  preview?: IPreview | null;
  confirm?: string | null;
  approver?: string | null;
  decided_via?: string | null;
  /** While it waits and is approved only on the approval page (another origin): its link. */
  approval_page?: string | null;
  audit_seqs?: number[];
  error?: string | null;
  /** Set when the command writes Secret values: what a runbook writes instead of them. */
  secret_template?: ISecretTemplate | null;
  /** The command, question and explanation without secret values. */
  redacted?: {
    command: string;
    question: string | null;
    explanation: string;
  };
}

/** The reply of `execute`: the executed proposal with its result. */
export interface IExecuted extends IProposal {
  result: IResult | null;
}

export interface ITranslation {
  question?: string;
  command?: string | null;
  explanation?: string;
  provider?: string;
  assumptions?: string[];
  notes?: string[];
}

/**
 * One reading of a question the translator would not answer alone (docs/openapi.yaml
 * `Choice`): made explicit and judged by the server like a proposal, but not proposed until a
 * person picks it.
 */
export interface IChoice {
  command: string;
  display?: string | null;
  level: Level;
  reasons: string[];
  assumptions?: string[];
  why: string;
}

export interface IAskReply {
  translation: ITranslation;
  proposal: IProposal | null;
  /** Empty unless the translator refused because it was unsure and offered readings. */
  choices?: IChoice[];
  audit_seq?: number;
}

export interface IPart {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

export interface IHealth {
  ok: boolean;
  user?: string;
  context?: string | null;
  database: IPart;
  cluster: IPart & { contexts?: Record<string, IPart> };
  provider: IPart;
  identity?: IPart & {
    username?: string;
    groups?: string[];
    impersonated?: boolean;
  };
}

export interface IAuditRecord {
  seq: number;
  at: string;
  prev_hash?: string;
  entry_hash?: string;
  event: Record<string, unknown>;
}

export interface IAuditPage {
  records: IAuditRecord[];
  next_after: number | null;
}

export interface IVerifyReport {
  ok: boolean;
  rows_checked: number;
  first_bad_seq: number | null;
  reason: string;
  head_seq?: number;
  head_hash?: string;
}

/** One tile of the dashboard: rows derived from its reads, the exact reads, its cell. */
export interface ITile {
  id: string;
  title: string;
  commands: string[];
  columns: string[];
  rows: unknown[][];
  total: number;
  counts: [string, number][];
  targets: (string | null)[];
  error: string | null;
  alarming: boolean;
  cell: string;
}

/** `GET dashboard`: one refresh of the cluster at a glance. */
export interface IDashboard {
  context: string | null;
  generated_at: string;
  seconds: number;
  commands: string[];
  tiles: ITile[];
  errors: { command: string; message: string }[];
  audit_seq: number | null;
  refresh_seconds: number;
}

/** `POST investigate`: the reads that ran and the findings they support. */
export interface IInvestigation {
  subject: { kind: string; name: string; namespace?: string | null };
  context?: string | null;
  reads: { step: string; command: string; error?: string | null }[];
  findings: {
    title: string;
    severity: string;
    evidence: string[];
    next_command?: string | null;
  }[];
  notebook: Record<string, unknown>;
  seconds?: number;
}

/** What the level badge says: text, never colour alone. */
export function levelLabel(level: string): string {
  return level.toUpperCase();
}

/** The command as a person reads it (C2: `display` when the server sends it). */
export function shownCommand(p: IProposal): string {
  return p.display || p.command;
}

/** The kubectl arguments of a canonical command (`kubectl get pods` -> `get pods`). */
export function kubectlArgs(command: string): string {
  return command.replace(/^\s*kubectl\s+/, '').trim();
}

/**
 * The `%kubectl` line magic for a proposal: `%kubectl [--context NAME] ARGS`, with every
 * default of the canonical command explicit (what is shown is what runs).
 */
export function kubectlMagic(
  p: Pick<IProposal, 'command' | 'context'>
): string {
  const ctx = p.context ? `--context ${p.context} ` : '';
  return `%kubectl ${ctx}${kubectlArgs(p.command)}`;
}

/** Whether a proposal still waits for a person's decision. */
export function isPending(p: IProposal): boolean {
  return p.state === 'proposed' && p.level !== 'forbidden';
}

/** Whether a command reads or writes Secret objects (their output never goes in a runbook). */
export function touchesSecrets(p: IProposal): boolean {
  const parsed = p.parsed || {};
  const resources = [
    ...((parsed['resources'] as string[] | undefined) || []),
    ...(typeof parsed['resource'] === 'string'
      ? [parsed['resource'] as string]
      : [])
  ];
  if (resources.some(r => /^(secrets?|secret\/.*)$/.test(String(r)))) {
    return true;
  }
  return /\b(secrets?|secret\/\S+)\b/.test(kubectlArgs(p.command));
}

/** A client-chosen conversation id (C1: <= 64 chars of [A-Za-z0-9_-]). */
export function newConversationId(random: () => number = Math.random): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = 'panel-';
  for (let i = 0; i < 20; i++) {
    out += chars[Math.floor(random() * chars.length)];
  }
  return out;
}
