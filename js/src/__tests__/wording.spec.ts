import { describe, expect, it } from 'vitest';

import {
  approvalHint,
  approveLabel,
  elsewhereText,
  stateText
} from '../wording';

describe('what every card says (js/src/wording.ts, the one place)', () => {
  it('says who may approve each level and how', () => {
    expect(approvalHint('safe')).toContain('at once');
    expect(approvalHint('warning')).toContain('--approve');
    expect(approvalHint('dangerous', 'web')).toContain("'web'");
    expect(approvalHint('dangerous', 'web')).toContain('approval page');
    expect(approvalHint('forbidden')).toContain('never runs');
  });

  it('names a dangerous approval on its button and the state in words', () => {
    expect(approveLabel('dangerous')).toBe('Approve dangerous command');
    expect(approveLabel('warning')).toBe('Approve');
    expect(stateText('proposed')).toBe('waiting for approval');
    expect(stateText('refused')).toBe('forbidden: never runs');
  });

  it('tells a page without a route to the server where to approve', () => {
    expect(elsewhereText('warning', 'p_1').join('')).toContain('--approve');
    expect(elsewhereText('dangerous', 'p_1').join('')).toContain(
      'a kernel can never approve a dangerous command'
    );
  });
});
