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
  /** The model's answer came from the LLM answer cache (judged afresh all the same). */
  cached?: boolean;
  explanation?: string;
  assumptions?: string[];
  notes?: string[];
  preview?: IPreview | null;
  confirm?: string | null;
  approver?: string | null;
  decided_via?: string | null;
  /** While it waits and is approved only on the approval page (another origin): its link. */
  approval_page?: string | null;
  /** Two-person approval: the group whose member, never the proposer, approves it. */
  approvers?: string | null;
  /** Whether it waits for the caller's decision (the server says, per person). */
  waiting_for_me?: boolean;
  audit_seqs?: number[];
  error?: string | null;
  /** Seconds since the epoch (the server's clock). */
  created?: number;
  expires?: number;
  /** Set when the command writes Secret values: what a runbook writes instead of them. */
  secret_template?: ISecretTemplate | null;
  /** The command, question and explanation without secret values. */
  redacted?: {
    command: string;
    question: string | null;
    explanation: string;
  };
}

/** Who or what proposed a waiting proposal (docs/openapi.yaml `Proposer`). */
export interface IProposer {
  kind: 'agent' | 'kernel' | 'page' | 'cli' | 'capability' | string;
  user: string;
  via: string;
  origin?: string | null;
  client?: { name: string; version: string } | null;
  capability?: { id: string; label: string } | null;
  kernel_id?: string | null;
  notebook?: string | null;
}

/**
 * A proposal waiting for a decision (docs/openapi.yaml `WaitingProposal`): the proposal, who
 * proposed it, and whatever else the server adds (shown as it is by the Waiting tab).
 */
export interface IWaitingProposal extends IProposal {
  owner: string;
  proposed_by: IProposer;
  [extra: string]: unknown;
}

/** The reply of `GET proposals` (`?for=me`: only what waits for the caller's decision). */
export interface IWaitingList {
  proposals: IWaitingProposal[];
  now: number;
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
  /** The model's answer came from the LLM answer cache (docs/openapi.yaml `Translation`). */
  cached?: boolean;
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
  /** Set when the question asks why one object is unwell (docs/openapi.yaml `WhyRoute`). */
  investigate?: IWhyRoute;
  audit_seq?: number;
}

/** One object an investigation is about (`kind` is the plural resource name). */
export interface ISubject {
  kind: string;
  name: string;
  namespace: string | null;
}

/**
 * A why-question routed by the server: the one object to investigate (`target`, the first
 * reads of its `plan`), or, when refused, the objects it may mean (`choices`).
 */
export interface IWhyRoute {
  target: string | null;
  subject: ISubject | null;
  label: string | null;
  plan: string[];
  choices: { target: string; label: string; subject: ISubject }[];
  explanation: string;
}

/** One read an investigation ran (through the pipeline, audited as its proposal). */
export interface IInvestigationRead {
  step: string;
  command: string;
  error: string | null;
  proposal: string | null;
  objects: number;
  rows: number;
}

/** One conclusion drawn from the evidence, with the rows that show it. */
export interface IFinding {
  title: string;
  evidence: string[];
  next_command: string | null;
  severity: 'error' | 'warning' | 'info' | string;
  steps: string[];
}

/** The reply of `POST investigate`. */
export interface IInvestigation {
  subject: ISubject;
  question?: string | null;
  context?: string | null;
  reads: IInvestigationRead[];
  findings: IFinding[];
  /** The findings' next commands, made explicit and judged (not proposed). */
  next?: IChoice[];
  /** Only with a language model configured: plain text from the evidence, never a command. */
  summary?: { label: string; text: string | null; error?: string } | null;
  seconds?: number;
  /** The investigation as a runbook notebook (nbformat 4 JSON). */
  notebook?: Record<string, unknown>;
}

/** `deployment recommendations in shop` (the kind singular). */
export function subjectLabel(s: ISubject): string {
  const kind = s.kind.endsWith('s') ? s.kind.slice(0, -1) : s.kind;
  return `${kind} ${s.name}${s.namespace ? ` in ${s.namespace}` : ''}`;
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

/** One line of `GET dashboard/watch` (NDJSON): its `type` says which fields it has. */
export interface IDashboardWatchEvent {
  type: 'start' | 'dashboard' | 'heartbeat' | 'error' | 'end';
  /** start: the watch id, every read it covers, those followed by watches, the interval. */
  watch?: string;
  commands?: string[];
  watched?: string[];
  refresh_seconds?: number;
  /** dashboard: the recomputed dashboard and the reads that changed. */
  dashboard?: IDashboard;
  changed?: string[];
  /** error: why it ended; end: why, changes seen, dashboards sent, seconds. */
  message?: string;
  reason?: string;
  events?: number;
  updates?: number;
  seconds?: number;
  audit_seq?: number | null;
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
