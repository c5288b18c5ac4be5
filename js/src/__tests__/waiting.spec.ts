import { describe, expect, it } from 'vitest';

import { waitingRows } from '../components/WaitingForMe';
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
  approvers: 'sre-leads',
  waiting_for_me: true,
  approval_page: '/kubechat/api/proposals/p_00000000000000000001/approval-page'
};

describe('waiting for me (what the server says waits for this person)', () => {
  it('names the proposer and the group, and links the approval page', () => {
    const [row] = waitingRows([base]);
    expect(row.proposer).toBe('alice');
    expect(row.command).toBe(base.display);
    expect(row.note).toBe(
      'needs approval by a member of sre-leads other than alice (the proposer)'
    );
    expect(row.href).toBe(base.approval_page);
  });

  it('leaves out what does not wait for this person', () => {
    expect(waitingRows([{ ...base, waiting_for_me: false }])).toEqual([]);
    expect(waitingRows([{ ...base, waiting_for_me: undefined }])).toEqual([]);
  });

  it('says "other than you" on the proposer\'s own card', () => {
    expect(twoPersonText('sre-leads')).toBe(
      'needs approval by a member of sre-leads other than you'
    );
  });
});
