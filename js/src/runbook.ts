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
 * - A command that writes Secret values (the server's `secret_template`) never has them in the
 *   file: each value becomes a `secret_N = None` parameter, asked for with `getpass` when its
 *   cell runs, and the cell builds the command from the template in Python (calling the magic
 *   directly, so IPython never expands braces or `$` inside a value).
 */

import {
  IProposal,
  ISecretTemplate,
  kubectlArgs,
  touchesSecrets
} from './model';

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
  /\b(token|password|passwd|secret|api[_-]?key|bearer)(\s*[=:]\s*|\s+(?:is|to|as)\s+|\s+)([^\s,;]{6,})/gi;

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

/** A Python expression for a template part list: literals and `secret_N` variables. */
function pyParts(
  parts: (string | number)[],
  names: string[],
  template: ISecretTemplate
): string {
  const out = parts.map(part => {
    if (typeof part === 'string') {
      return pyString(part);
    }
    let expr = names[part];
    for (const step of template.params[part].encoding) {
      expr =
        step === 'base64'
          ? `base64.b64encode(${expr}.encode()).decode()`
          : `json.dumps(${expr})`;
    }
    return expr;
  });
  return out.length ? out.join(' + ') : '""';
}

/**
 * The cell that runs a command whose Secret values are parameters: each value is asked for
 * (unless the parameters cell set it) and the command is built in Python, never saved.
 */
export function secretCell(
  p: IProposal,
  template: ISecretTemplate,
  names: string[],
  params: { context: string | null; namespace: string | null }
): string {
  const lines = [
    '# This command writes Secret values; they are not saved in this runbook. Each one is',
    '# asked for when this cell runs, unless the parameters cell sets it.',
    'import base64, json, shlex',
    'from getpass import getpass'
  ];
  template.params.forEach((param, i) => {
    const where = param.where.replace(/[\r\n]/g, ' ');
    lines.push(
      `if ${names[i]} is None:`,
      `    ${names[i]} = getpass(${pyString(`Secret value (${where}): `)})`
    );
  });
  const args = (template.args || []).map((parts, i, all) => {
    const previous = i > 0 ? all[i - 1] : null;
    if (
      params.namespace &&
      p.namespace === params.namespace &&
      previous &&
      previous.length === 1 &&
      (previous[0] === '-n' || previous[0] === '--namespace') &&
      parts.length === 1 &&
      parts[0] === params.namespace
    ) {
      return 'namespace';
    }
    return pyParts(parts, names, template);
  });
  const approve = p.level === 'warning' ? '--approve ' : '';
  const ctx =
    params.context && p.context === params.context
      ? '"--context " + shlex.quote(context) + " "'
      : pyString(p.context ? `--context ${p.context} ` : '');
  lines.push(
    `_args = [${args.join(', ')}]`,
    `_line = ${pyString(approve)} + ${ctx} + " ".join(shlex.quote(a) for a in _args)`
  );
  if (template.manifest) {
    lines.push(
      `_manifest = ${pyParts(template.manifest, names, template)}`,
      'get_ipython().find_cell_magic("kubectl")(_line, _manifest)'
    );
  } else {
    lines.push('get_ipython().find_line_magic("kubectl")(_line)');
  }
  return lines.join('\n');
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
  const secretNames = new Map<IRunbookTurn, string[]>();
  const secretLines: string[] = [];
  for (const turn of ran) {
    const template = turn.proposal!.secret_template;
    if (template && template.args) {
      const names = template.params.map(param => {
        const name = `secret_${secretLines.length + 1}`;
        secretLines.push(
          `${name} = None  # ${param.where.replace(/[\r\n]/g, ' ')}: asked for when it runs`
        );
        return name;
      });
      secretNames.set(turn, names);
    }
  }
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
        `namespace = ${namespace ? pyString(namespace) : 'None'}` +
        (secretLines.length
          ? '\n# Secret values: never saved here; set them or type them when asked.\n' +
            secretLines.join('\n')
          : ''),
      ['parameters']
    )
  );
  cells.push(code('%load_ext kubechat_lab'));
  let step = 0;
  for (const turn of turns) {
    const p = turn.proposal;
    const question = p?.redacted?.question ?? turn.question;
    const lines = [`## ${++step}. ${mdEscape(redact(question))}`];
    const explanation = p?.redacted
      ? p.redacted.explanation
      : turn.explanation || p?.explanation;
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
        `_Not run in the conversation (${p.state})._ \`${kubectlArgs(
          p.redacted?.command ?? p.command
        )}\``
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
    const template = p.secret_template;
    if (template && !template.args) {
      cells.push(
        markdown(
          '_This command wrote Secret values in a form this runbook cannot ask for; ' +
            'it is not saved. Run it by hand._'
        )
      );
      continue;
    }
    const body = template
      ? secretCell(p, template, secretNames.get(turn) || [], {
          context,
          namespace
        })
      : runbookMagic(p, { context, namespace });
    cells.push(code(`${note}\n${body}`, tags));
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
