/**
 * "Save as runbook": a conversation becomes a notebook (nbformat 4) that a colleague re-runs.
 *
 * - The first cell holds the parameters (`context`, `namespace`), tagged `parameters`; the
 *   `%kubectl` cells use them through IPython's `{name}` expansion of line magics.
 * - Each question becomes a markdown cell with the answer's explanation and the command's
 *   level; each command that ran becomes a `%kubectl` cell with its level noted.
 * - Writes are re-approved when the runbook runs: warning cells carry `--approve`, which
 *   approves from the kernel only where its capability has the approve:warning scope (an
 *   unattended run with `kubechat token --scope approve:warning`); elsewhere the cell stops
 *   with an error that says so, and without `--approve` it waits for a click on its card.
 *   Dangerous cells are tagged `nbval-skip` and wait for the typed name on their card, so an
 *   unattended run never deletes anything.
 * - No outputs are written (so no output of a Secret ever lands in the file), and values that
 *   look like credentials in questions or explanations are masked.
 */

import { IProposal, kubectlArgs, touchesSecrets } from './model';

/** One turn of the conversation as the panel keeps it. */
export interface IRunbookTurn {
  question: string;
  explanation?: string;
  proposal: IProposal | null;
  /** True when the command was executed (only those become `%kubectl` cells). */
  ran: boolean;
}

export interface INotebookCell {
  id: string;
  cell_type: 'markdown' | 'code';
  metadata: Record<string, unknown>;
  source: string;
  outputs?: unknown[];
  execution_count?: number | null;
}

export interface INotebook {
  nbformat: 4;
  nbformat_minor: 5;
  metadata: Record<string, unknown>;
  cells: INotebookCell[];
}

const CREDENTIAL =
  /\b(token|password|passwd|secret|api[_-]?key|bearer)(\s*[=:]\s*|\s+)([^\s,;]{6,})/gi;

/** Mask values that look like credentials (`token=abc...` -> `token=REDACTED`). */
export function redact(text: string): string {
  return text.replace(
    CREDENTIAL,
    (_m, name: string, sep: string) => `${name}${sep}REDACTED`
  );
}

function mdEscape(text: string): string {
  return text.replace(/([\\`*_[\]<>#|])/g, '\\$1');
}

function mostCommon(values: (string | null | undefined)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) {
    if (v) {
      counts.set(v, (counts.get(v) || 0) + 1);
    }
  }
  let best: string | null = null;
  let n = 0;
  for (const [v, c] of counts) {
    if (c > n) {
      best = v;
      n = c;
    }
  }
  return best;
}

function pyString(value: string): string {
  return JSON.stringify(value); // a valid Python string literal for plain text
}

/** The `%kubectl` line of a command, parametrised by the runbook's context and namespace. */
export function runbookMagic(
  p: IProposal,
  params: { context: string | null; namespace: string | null }
): string {
  let args = kubectlArgs(p.command);
  // IPython expands {name} in line magics only when the whole line formats; commands that
  // carry braces themselves (jsonpath) keep their literal values.
  const expandable = !/[{}$]/.test(args);
  let ctx = p.context ? `--context ${p.context} ` : '';
  if (expandable) {
    if (params.context && p.context === params.context) {
      ctx = '--context {context} ';
    }
    if (params.namespace && p.namespace === params.namespace) {
      const ns = params.namespace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      args = args.replace(
        new RegExp(`(^|\\s)(-n|--namespace)(=|\\s+)${ns}(?=\\s|$)`),
        '$1$2$3{namespace}'
      );
    }
  }
  const approve = p.level === 'warning' ? '--approve ' : '';
  return `%kubectl ${approve}${ctx}${args}`;
}

let counter = 0;
function cellId(): string {
  counter += 1;
  return `kc-${Date.now().toString(36)}-${counter}`;
}

function markdown(source: string): INotebookCell {
  return { id: cellId(), cell_type: 'markdown', metadata: {}, source };
}

function code(source: string, tags: string[] = []): INotebookCell {
  return {
    id: cellId(),
    cell_type: 'code',
    metadata: tags.length ? { tags } : {},
    source,
    outputs: [],
    execution_count: null
  };
}

/** Build the runbook notebook of a conversation. */
export function buildRunbook(
  turns: IRunbookTurn[],
  title = 'KubeChat runbook'
): INotebook {
  const ran = turns.filter(t => t.ran && t.proposal);
  const context = mostCommon(ran.map(t => t.proposal!.context));
  const namespace = mostCommon(ran.map(t => t.proposal!.namespace));
  const cells: INotebookCell[] = [];
  cells.push(
    markdown(
      `# ${mdEscape(title)}\n\n` +
        'Saved from the KubeChat side panel. Every command goes through the kubechat server ' +
        'again when this notebook runs: it is parsed, assessed, approved and audited anew. ' +
        'Warning cells carry `--approve`: they approve themselves only where the kernel may ' +
        'approve warnings (a capability with `approve:warning`, as `kubechat token --scope ' +
        'approve:warning` gives an unattended run); elsewhere such a cell stops and says so, ' +
        'and without `--approve` it waits for your click on its card. Dangerous cells wait ' +
        'for the name to be typed on their card and are skipped by automated runs ' +
        '(`nbval-skip`).'
    )
  );
  cells.push(
    code(
      '# Parameters: change them to run this runbook elsewhere.\n' +
        `context = ${context ? pyString(context) : 'None'}\n` +
        `namespace = ${namespace ? pyString(namespace) : 'None'}`,
      ['parameters']
    )
  );
  cells.push(code('%load_ext kubechat_lab'));
  let step = 0;
  for (const turn of turns) {
    const p = turn.proposal;
    const lines = [`## ${++step}. ${mdEscape(redact(turn.question))}`];
    const explanation = turn.explanation || p?.explanation;
    if (explanation) {
      lines.push('', mdEscape(redact(explanation)));
    }
    if (!p) {
      lines.push('', '_No command came of this question._');
      cells.push(markdown(lines.join('\n')));
      continue;
    }
    lines.push(
      '',
      `Level: **${p.level.toUpperCase()}**` +
        (p.reasons.length ? ` (${mdEscape(p.reasons.join('; '))})` : '')
    );
    if (!turn.ran) {
      lines.push(
        '',
        `_Not run in the conversation (${p.state})._ \`${kubectlArgs(p.command)}\``
      );
      cells.push(markdown(lines.join('\n')));
      continue;
    }
    if (touchesSecrets(p)) {
      lines.push('', '_Reads Secret objects: no output is kept in this file._');
    }
    cells.push(markdown(lines.join('\n')));
    const note =
      p.level === 'dangerous'
        ? `# level: DANGEROUS - approve on the card by typing ${p.confirm || 'the target name'}`
        : p.level === 'warning'
          ? '# level: WARNING - a write; without approve:warning drop --approve and click Approve'
          : '# level: SAFE - read-only';
    const tags = p.level === 'dangerous' ? ['nbval-skip'] : [];
    cells.push(
      code(`${note}\n${runbookMagic(p, { context, namespace })}`, tags)
    );
  }
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3 (ipykernel)',
        language: 'python'
      },
      language_info: { name: 'python' },
      kubechat: { runbook: true, context, namespace }
    },
    cells
  };
}
