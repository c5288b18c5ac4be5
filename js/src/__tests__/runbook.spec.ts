import { describe, expect, it } from 'vitest';

import { IProposal } from '../model';
import { buildRunbook, IRunbookTurn, redact, runbookMagic } from '../runbook';

function p(over: Partial<IProposal>): IProposal {
  return {
    id: 'p_0123456789abcdef0123',
    command: 'kubectl get pods -n shop',
    level: 'safe',
    reasons: ['get only reads cluster state.'],
    state: 'executed',
    context: 'kubechat-sandbox',
    namespace: 'shop',
    explanation: 'pods in shop',
    ...over
  };
}

const turns: IRunbookTurn[] = [
  { question: 'pods in shop?', proposal: p({}), ran: true },
  {
    question: 'scale web to 3 with token=abcdef123456',
    proposal: p({
      command: 'kubectl scale deployment web -n shop --replicas=3',
      level: 'warning',
      reasons: ['scale writes']
    }),
    ran: true
  },
  {
    question: 'delete web',
    proposal: p({
      command: 'kubectl delete deployment web -n shop',
      level: 'dangerous',
      reasons: ['delete'],
      confirm: 'web'
    }),
    ran: true
  },
  {
    question: 'restart it',
    proposal: p({
      command: 'kubectl rollout restart deployment web -n shop',
      level: 'warning',
      state: 'rejected'
    }),
    ran: false
  },
  {
    question: 'the db password',
    proposal: p({
      command: 'kubectl get secret db -n data -o yaml',
      level: 'warning',
      namespace: 'data'
    }),
    ran: true
  },
  { question: 'sing a song', proposal: null, ran: false }
];

describe('buildRunbook', () => {
  const nb = buildRunbook(turns);
  const code = nb.cells.filter(c => c.cell_type === 'code');
  const md = nb.cells
    .filter(c => c.cell_type === 'markdown')
    .map(c => c.source)
    .join('\n');

  it('starts with a parameters cell (context, namespace) and loads the magics', () => {
    expect(code[0].metadata).toEqual({ tags: ['parameters'] });
    expect(code[0].source).toContain('context = "kubechat-sandbox"');
    expect(code[0].source).toContain('namespace = "shop"');
    expect(code[1].source).toBe('%load_ext kubechat_lab');
  });

  it('has one %kubectl cell per command that ran, with its level noted', () => {
    const magics = code.slice(2).map(c => c.source);
    expect(magics).toHaveLength(4);
    expect(magics[0]).toBe(
      '# level: SAFE - read-only\n%kubectl --context {context} get pods -n {namespace}'
    );
    expect(magics[1]).toContain('# level: WARNING');
    // what --approve does without the approve:warning scope is said, not promised away
    expect(magics[1]).toContain('drop --approve and click Approve');
    expect(md).toContain('elsewhere such a cell stops and says so');
    expect(magics[1]).toContain(
      '%kubectl --approve --context {context} scale deployment web -n {namespace} --replicas=3'
    );
    expect(magics[2]).toContain(
      '# level: DANGEROUS - approve on the card by typing web'
    );
    expect(code[4].metadata).toEqual({ tags: ['nbval-skip'] });
    // a namespace other than the parameter stays literal
    expect(magics[3]).toContain('get secret db -n data -o yaml');
    expect(magics.join('\n')).not.toContain('rollout restart');
  });

  it('keeps no outputs, masks credentials, and notes questions without a command', () => {
    for (const c of code) {
      expect(c.outputs).toEqual([]);
      expect(c.execution_count).toBeNull();
    }
    expect(md).toContain('token=REDACTED');
    expect(JSON.stringify(nb)).not.toContain('abcdef123456');
    expect(md).toContain('No command came of this question');
    expect(md).toContain('Not run in the conversation (rejected)');
    expect(md).toContain('Reads Secret objects');
    expect(md).toContain('Level: **DANGEROUS**');
  });

  it('is nbformat 4.5 with unique cell ids', () => {
    expect(nb.nbformat).toBe(4);
    expect(nb.nbformat_minor).toBe(5);
    const ids = nb.cells.map(c => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    }
  });
});

describe('runbookMagic and redact', () => {
  it('keeps commands with braces literal (IPython would not expand the line)', () => {
    const jp = p({
      command: 'kubectl get pods -n shop -o jsonpath={.items[0].metadata.name}'
    });
    expect(
      runbookMagic(jp, { context: 'kubechat-sandbox', namespace: 'shop' })
    ).toBe(
      '%kubectl --context kubechat-sandbox get pods -n shop -o jsonpath={.items[0].metadata.name}'
    );
  });

  it('masks password: and bearer values', () => {
    expect(redact('password: hunter22 and Bearer eyJhbGciOi')).toBe(
      'password: REDACTED and Bearer REDACTED'
    );
    expect(redact('show pods')).toBe('show pods');
  });
});
