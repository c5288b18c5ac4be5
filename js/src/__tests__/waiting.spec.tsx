/**
 * The Waiting tab (components/WaitingView.tsx): who proposed each item, its age, the one card
 * with the decision a level allows (Approve / Reject, or the approval page's link), and fields
 * it does not know shown as they are.
 */

import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { KubechatApi } from '../api';
import {
  ageText,
  extraFields,
  IWaiting,
  proposerText,
  WaitingView
} from '../components/WaitingView';
import { IWaitingProposal } from '../model';

const agentDelete: IWaitingProposal = {
  id: 'p_0123456789abcdef0123',
  command: 'kubectl delete pods web -n kc-mcp-1',
  display: 'kubectl delete pods web -n kc-mcp-1 --context=sandbox',
  level: 'dangerous',
  reasons: ['delete removes pods web; deleted objects cannot be restored.'],
  state: 'proposed',
  context: 'sandbox',
  namespace: 'kc-mcp-1',
  confirm: 'web',
  approval_page: '/kubechat/api/proposals/p_0123456789abcdef0123/approval-page',
  created: 1000,
  audit_seqs: [7],
  owner: 'capability:0123456789abcdef',
  proposed_by: {
    kind: 'agent',
    user: 'alice',
    via: 'capability',
    origin: 'mcp',
    client: { name: 'claude-code', version: '2.1.0' },
    capability: { id: '0123456789abcdef', label: 'ops agent' },
    kernel_id: null,
    notebook: null
  }
};

const kernelLabel: IWaitingProposal = {
  ...agentDelete,
  id: 'p_aaaaaaaaaaaaaaaaaaaa',
  command: 'kubectl label configmaps settings -n kc-mcp-1 team=sre',
  display: null,
  level: 'warning',
  confirm: null,
  approval_page: null,
  created: 940,
  owner: 'kernel:k1',
  proposed_by: {
    kind: 'kernel',
    user: 'alice',
    via: 'capability',
    origin: 'kernel',
    client: null,
    capability: { id: 'ffffffffffffffff', label: '' },
    kernel_id: 'k1',
    notebook: 'work/triage.ipynb'
  },
  // what a server may add (two-person approval): shown as it is
  approvals_needed: 2,
  may_approve: ['bob', 'carol'],
  waiting_for_me: true
};

function render(items: IWaitingProposal[]): string {
  const waiting: IWaiting = {
    items,
    serverNow: 1012,
    readAt: Date.now(),
    error: '',
    refresh: async () => undefined
  };
  const api = new KubechatApi({
    baseUrl: '/',
    fetch: () => Promise.reject(new Error('no server in this test'))
  });
  return renderToStaticMarkup(<WaitingView api={api} waiting={waiting} />);
}

describe('the Waiting tab', () => {
  it('says which agent (its declared client) or kernel proposed, and for whom', () => {
    expect(proposerText(agentDelete.proposed_by)).toBe(
      'agent claude-code 2.1.0 over MCP (capability “ops agent”), for alice'
    );
    expect(proposerText(kernelLabel.proposed_by)).toBe(
      'kernel of work/triage.ipynb, for alice'
    );
    expect(ageText(12)).toBe('12 s');
    expect(ageText(400)).toBe('7 min');
  });

  it('links a dangerous one to its approval page and offers Approve for a warning', () => {
    const html = render([agentDelete, kernelLabel]);
    const [first, second] = html
      .split('data-testid="kc-waiting-item"')
      .slice(1);
    expect(first).toContain('claude-code 2.1.0');
    expect(first).toContain('12 s ago');
    expect(first).toContain(`href="${agentDelete.approval_page}"`);
    expect(first).not.toContain('data-testid="kc-approve"');
    expect(first).toContain('data-testid="kc-reject"');
    expect(second).toContain('72 s ago');
    expect(second).toContain('data-testid="kc-approve"');
    expect(second).not.toContain('kc-approval-page');
  });

  it('shows fields it does not know as they are, and none it already shows', () => {
    expect(extraFields(kernelLabel)).toEqual([
      ['approvals needed', '2'],
      ['may approve', 'bob, carol'],
      ['waiting for me', 'yes: you may decide it']
    ]);
    expect(extraFields(agentDelete)).toEqual([]);
    expect(render([kernelLabel])).toContain(
      '<dt>may approve</dt><dd>bob, carol</dd>'
    );
  });

  it('says so when nothing waits', () => {
    expect(render([])).toContain('Nothing waits for your decision');
  });
});
