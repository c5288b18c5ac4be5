/**
 * "Waiting for me": the proposals that wait for the signed-in person's decision
 * (`GET kubechat/api/proposals?for=me`), two-person ones of their groups included, each with
 * who proposed it and the link to its approval page. A section meant to sit in the side
 * panel's list of waiting proposals; the server decides who may approve (docs/policy.md,
 * "Two-person approval"), this only shows what it says.
 */

import * as React from 'react';

import { KubechatApi } from '../api';
import { IWaitingProposal, levelLabel } from '../model';
import { APPROVAL_PAGE_LABEL, twoPersonText } from '../wording';

/** The rows of the section, from the server's list (only what waits for this person). */
export function waitingRows(items: IWaitingProposal[]): {
  id: string;
  command: string;
  level: string;
  proposer: string;
  note: string;
  href: string;
}[] {
  return items
    .filter(p => p.waiting_for_me)
    .map(p => ({
      id: p.id,
      command: p.display || p.command,
      level: p.level,
      proposer: p.user || '',
      note: p.approvers ? twoPersonText(p.approvers, p.user) : '',
      href: p.approval_page || ''
    }));
}

export function WaitingForMe(props: {
  api: KubechatApi;
  active: boolean;
}): JSX.Element {
  const { api, active } = props;
  const [items, setItems] = React.useState<IWaitingProposal[]>([]);
  const [error, setError] = React.useState('');

  const load = React.useCallback(async () => {
    setError('');
    try {
      setItems((await api.waiting(true)).proposals);
    } catch (e) {
      setError(`Could not list what waits for you: ${(e as Error).message}`);
    }
  }, [api]);

  React.useEffect(() => {
    if (active) {
      void load();
    }
  }, [active, load]);

  const rows = waitingRows(items);
  return (
    <section
      className="jp-kubechat-waiting-for-me"
      aria-label="Waiting for me"
      data-testid="kc-waiting-for-me"
    >
      <h3>Waiting for me</h3>
      <button onClick={() => void load()}>Refresh</button>
      {error && <p className="jp-kubechat-error">{error}</p>}
      {!error && rows.length === 0 && <p>Nothing waits for your decision.</p>}
      <ul>
        {rows.map(r => (
          <li key={r.id} data-proposal={r.id} data-level={r.level}>
            <span className={`jp-kubechat-badge jp-kubechat-badge-${r.level}`}>
              {levelLabel(r.level)}
            </span>{' '}
            <code>{r.command}</code>
            <span> · proposed by {r.proposer}</span>
            {r.note && (
              <span data-testid="kc-waiting-two-person"> · {r.note}</span>
            )}
            {r.href && (
              <>
                {' · '}
                <a href={r.href} target="_blank" rel="noopener noreferrer">
                  {APPROVAL_PAGE_LABEL}
                </a>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
