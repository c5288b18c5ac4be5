import { describe, expect, it } from 'vitest';

import { extraFields } from '../components/WaitingView';
import { IWaitingProposal } from '../model';
import { twoPersonText } from '../wording';

const base: IWaitingProposal = {
  id: 'p_00000000000000000001',
  command: 'kubectl delete configmaps doomed -n pay',
  display: 'kubectl --context=prod delete configmaps doomed -n pay',
  level: 'dangerous',
  reasons: ['deletes objects'],
  state: 'proposed',
  context: 'prod',
  namespace: 'pay',
  user: 'alice',
  owner: 'page:alice',
  proposed_by: { kind: 'page', user: 'alice', via: 'browser' },
  approvers: 'sre-leads',
  waiting_for_me: true,
  approval_page: '/kubechat/api/proposals/p_00000000000000000001/approval-page'
};

describe('two-person fields in the Waiting tab (what the server says)', () => {
  it('names the group and whether it waits for this person', () => {
    const extra = Object.fromEntries(extraFields(base));
    expect(extra['approvers']).toBe(
      'a member of sre-leads, never the proposer'
    );
    expect(extra['waiting for me']).toBe('yes: you may decide it');
    const other = Object.fromEntries(
      extraFields({ ...base, waiting_for_me: false })
    );
    expect(other['waiting for me']).toBe('no: another person decides');
  });

  it('says "other than you" on the proposer\'s own card', () => {
    expect(twoPersonText('sre-leads')).toBe(
      'needs approval by a member of sre-leads other than you'
    );
    expect(twoPersonText('sre-leads', 'alice')).toBe(
      'needs approval by a member of sre-leads other than alice (the proposer)'
    );
  });
});
