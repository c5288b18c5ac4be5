import { describe, expect, it } from 'vitest';

import {
  IProposal,
  isPending,
  kubectlMagic,
  levelLabel,
  newConversationId,
  shownCommand,
  touchesSecrets
} from '../model';

function proposal(over: Partial<IProposal> = {}): IProposal {
  return {
    id: 'p_0123456789abcdef0123',
    command: 'kubectl get pods -n shop',
    level: 'safe',
    reasons: ['get only reads cluster state.'],
    state: 'approved',
    context: 'kubechat-sandbox',
    namespace: 'shop',
    ...over
  };
}

describe('the %kubectl cell', () => {
  it('keeps every default explicit: context and the canonical command', () => {
    expect(kubectlMagic(proposal())).toBe(
      '%kubectl --context kubechat-sandbox get pods -n shop'
    );
  });

  it('has no --context when the server resolved none', () => {
    expect(kubectlMagic(proposal({ context: null }))).toBe(
      '%kubectl get pods -n shop'
    );
  });

  it('uses the canonical command, not the display text', () => {
    const p = proposal({
      display: 'kubectl get pods (shop)',
      command: 'kubectl get pods -n shop'
    });
    expect(kubectlMagic(p)).toBe(
      '%kubectl --context kubechat-sandbox get pods -n shop'
    );
    expect(shownCommand(p)).toBe('kubectl get pods (shop)');
  });
});

describe('levels and states', () => {
  it('labels levels in text', () => {
    expect(levelLabel('dangerous')).toBe('DANGEROUS');
  });

  it('knows which cards wait for a person', () => {
    expect(isPending(proposal({ state: 'proposed', level: 'warning' }))).toBe(
      true
    );
    expect(isPending(proposal({ state: 'proposed', level: 'forbidden' }))).toBe(
      false
    );
    expect(isPending(proposal({ state: 'approved' }))).toBe(false);
  });

  it('spots commands about Secrets', () => {
    expect(
      touchesSecrets(
        proposal({ command: 'kubectl get secret db -n shop -o yaml' })
      )
    ).toBe(true);
    expect(
      touchesSecrets(proposal({ parsed: { resources: ['secrets'] } }))
    ).toBe(true);
    expect(touchesSecrets(proposal())).toBe(false);
  });
});

describe('conversation ids (C1)', () => {
  it('fit the server rule: <= 64 chars of [A-Za-z0-9_-]', () => {
    for (let i = 0; i < 50; i++) {
      expect(newConversationId()).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    }
    expect(newConversationId()).not.toBe(newConversationId());
  });
});
