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
});
