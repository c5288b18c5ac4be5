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

describe('a command that writes Secret values', () => {
  const value = 'Sv-hunter2-Zq';
  const b64 = 'U3YtaHVudGVyMi1acQ==';
  const literal = p({
    command: `kubectl create secret generic db -n shop --from-literal=password=${value}`,
    level: 'warning',
    question: `create secret db with password ${value}`,
    explanation: `creates db with ${value}`,
    secret_template: {
      args: [
        ['create'],
        ['secret'],
        ['generic'],
        ['db'],
        ['-n'],
        ['shop'],
        ['--from-literal=password=', 0]
      ],
      manifest: null,
      params: [{ where: '--from-literal password', encoding: [] }]
    },
    redacted: {
      command:
        "kubectl create secret generic db -n shop --from-literal='password=<redacted>'",
      question: 'create secret db with password <redacted>',
      explanation: 'creates db with <redacted>'
    }
  });
  const manifest = p({
    command: 'kubectl apply -n shop -f -',
    level: 'warning',
    parsed: { manifest: `kind: Secret\ndata: {pw: ${b64}}` },
    secret_template: {
      args: [['apply'], ['-n'], ['shop'], ['-f'], ['-']],
      manifest: ['{"kind":"Secret","data":{"pw":', 0, '}}\n'],
      params: [{ where: 'Secret db data.pw', encoding: ['base64', 'json'] }]
    },
    redacted: {
      command: 'kubectl apply -n shop -f -',
      question: null,
      explanation: ''
    }
  });
  const unreadable = p({
    command: `kubectl patch secret db -n shop -p 'x: &a ${value}'`,
    level: 'warning',
    secret_template: {
      args: null,
      manifest: null,
      params: [{ where: 'patch', encoding: [] }]
    }
  });
  const nb = buildRunbook([
    {
      question: `create secret db with password ${value}`,
      proposal: literal,
      ran: true
    },
    { question: 'apply it', proposal: manifest, ran: true },
    {
      question: 'again',
      proposal: { ...literal, state: 'rejected' },
      ran: false
    },
    { question: 'patch it', proposal: unreadable, ran: true }
  ]);
  const text = JSON.stringify(nb);
  const code = nb.cells.filter(c => c.cell_type === 'code').map(c => c.source);

  it('never writes the value, in any spelling', () => {
    expect(text).not.toContain(value);
    expect(text).not.toContain(b64);
    expect(text).not.toContain('hunter2');
  });

  it('makes each value a parameter that is asked for when the cell runs', () => {
    expect(code[0]).toContain(
      'secret_1 = None  # --from-literal password: asked for when it runs'
    );
    expect(code[0]).toContain('secret_2 = None  # Secret db data.pw');
    expect(code[2]).toContain('if secret_1 is None:');
    expect(code[2]).toContain(
      'secret_1 = getpass("Secret value (--from-literal password): ")'
    );
    expect(code[2]).toContain(
      '_args = ["create", "secret", "generic", "db", "-n", namespace, ' +
        '"--from-literal=password=" + secret_1]'
    );
    expect(code[2]).toContain(
      '_line = "--approve " + "--context " + shlex.quote(context) + " " + ' +
        '" ".join(shlex.quote(a) for a in _args)'
    );
    expect(code[2]).toContain(
      'get_ipython().find_line_magic("kubectl")(_line)'
    );
  });

  it('builds a manifest with the value encoded as it was written', () => {
    expect(code[3]).toContain(
      '_manifest = "{\\"kind\\":\\"Secret\\",\\"data\\":{\\"pw\\":" + ' +
        'json.dumps(base64.b64encode(secret_2.encode()).decode()) + "}}\\n"'
    );
    expect(code[3]).toContain(
      'get_ipython().find_cell_magic("kubectl")(_line, _manifest)'
    );
  });

  it('shows what was not run without its values, and says what it cannot ask for', () => {
    const md = nb.cells
      .filter(c => c.cell_type === 'markdown')
      .map(c => c.source)
      .join('\n');
    expect(md).toContain("--from-literal='password=<redacted>'");
    expect(md).toContain('cannot ask for; it is not saved');
    expect(code).toHaveLength(4);
  });
});
