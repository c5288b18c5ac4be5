import { describe, expect, it, vi } from 'vitest';

vi.mock('@jupyterlab/ui-components', () => ({ ReactWidget: class {} }));

import { ITurn } from '../components/Card';
import { toSaved } from '../panel';

const base: ITurn = {
  id: 't1',
  question: 'pods in shop',
  proposal: null,
  status: 'done',
  confirmText: '',
  ran: true
};

describe('toSaved (the conversation kept across reloads)', () => {
  it('drops result rows and says so', () => {
    const saved = toSaved('panel-x', [
      {
        ...base,
        result: {
          kind: 'pods',
          status: 'ok',
          columns: [['name', 'str']],
          data: [['a']],
          text: null,
          diff: null
        }
      }
    ]);
    expect(saved.conversation).toBe('panel-x');
    expect(saved.turns[0].result).toBeNull();
    expect(saved.turns[0].message).toMatch(/not kept across reloads/);
    expect(saved.turns[0].ran).toBe(true);
  });

  it('marks work cut off by the reload instead of leaving it spinning', () => {
    const saved = toSaved('panel-x', [
      { ...base, status: 'working', ran: false }
    ]);
    expect(saved.turns[0].status).toBe('error');
    expect(saved.turns[0].message).toBe('Interrupted by a reload.');
  });

  it('keeps messages of turns without a result', () => {
    const saved = toSaved('panel-x', [
      { ...base, ran: false, message: 'Rejected: nothing ran.' }
    ]);
    expect(saved.turns[0].message).toBe('Rejected: nothing ran.');
  });

  it('keeps no secret value on disk, but keeps the runbook template', () => {
    const value = 'Sv-hunter2-Zq';
    const template = {
      args: [
        ['create'],
        ['secret'],
        ['generic'],
        ['db'],
        ['--from-literal=pw=', 0]
      ],
      manifest: null,
      params: [{ where: '--from-literal pw', encoding: [] }]
    };
    const saved = toSaved('panel-x', [
      {
        ...base,
        question: `make secret db with pw=${value}`,
        translation: {
          question: `make secret db with pw=${value}`,
          command: `kubectl create secret generic db --from-literal=pw=${value}`,
          explanation: `creates db with ${value}`,
          provider: 'rules',
          parsed: { flags: [['from-literal', `pw=${value}`]] },
          notes: [`built ${value}`]
        } as ITurn['translation'],
        proposal: {
          id: 'p_1',
          command: `kubectl create secret generic db --from-literal=pw=${value}`,
          display: `kubectl --context=x create secret generic db --from-literal=pw=${value}`,
          parsed: { flags: [['from-literal', `pw=${value}`]] },
          level: 'warning',
          reasons: [],
          state: 'executed',
          context: 'x',
          namespace: 'default',
          question: `make secret db with pw=${value}`,
          explanation: `creates db with ${value}`,
          secret_template: template,
          redacted: {
            command:
              "kubectl create secret generic db --from-literal='pw=<redacted>'",
            question: 'make secret db with pw=<redacted>',
            explanation: 'creates db with <redacted>'
          }
        }
      },
      { ...base, question: 'the token is hunter2hunter2' }
    ]);
    const text = JSON.stringify(saved);
    expect(text).not.toContain(value);
    expect(text).not.toContain('hunter2hunter2');
    expect(saved.turns[0].proposal?.command).toBe(
      "kubectl create secret generic db --from-literal='pw=<redacted>'"
    );
    expect(saved.turns[0].proposal?.secret_template).toEqual(template);
  });
});
