/**
 * A side-panel turn that is an investigation: the question, the object and its plan while the
 * reads run, then {@link Findings}. A refused why-question shows the objects it may mean.
 */

import * as React from 'react';

import { IChoice } from '../model';
import { ITurn } from './Card';
import { Findings, WhyRouteView } from './Findings';

export interface IWhyActions {
  /** Investigate `target` (an explicit `kind/name -n ns`) for this turn. */
  investigate: (turn: ITurn, target: string) => void;
  /** Propose a finding's next command as a new turn (a write waits for approval). */
  propose: (turn: ITurn, choice: IChoice) => void;
  /** Write the investigation as a runbook notebook (absent: no button). */
  save?: (turn: ITurn) => void;
}

export function WhyTurn(props: {
  turn: ITurn;
  actions: IWhyActions;
}): JSX.Element {
  const { turn, actions } = props;
  const busy = turn.status === 'working' || turn.status === 'asking';
  const save = actions.save;
  return (
    <article
      className="jp-kubechat-turn jp-kubechat-why-turn"
      aria-label={`Question: ${turn.question}`}
      data-turn={turn.id}
    >
      <div className="jp-kubechat-question">
        <span className="jp-kubechat-visually-hidden">You asked: </span>
        {turn.question}
      </div>
      {turn.investigate && !turn.investigation && (
        <WhyRouteView
          route={turn.investigate}
          running={turn.status === 'working'}
          busy={busy}
          onInvestigate={target => actions.investigate(turn, target)}
        />
      )}
      {turn.investigation && (
        <Findings
          investigation={turn.investigation}
          busy={busy}
          onPropose={choice => actions.propose(turn, choice)}
          onSave={save ? () => save(turn) : undefined}
        />
      )}
      {turn.message && (
        <div
          className={
            turn.status === 'error'
              ? 'jp-kubechat-error'
              : 'jp-kubechat-message'
          }
          role="alert"
        >
          {turn.message}
        </div>
      )}
    </article>
  );
}
