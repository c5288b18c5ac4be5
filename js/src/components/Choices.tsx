/**
 * The choices of a refusal: one button per reading the server made explicit and judged.
 * Picking one proposes that command like a typed one (same route, policy and approval).
 */

import * as React from 'react';

import { IChoice, levelLabel } from '../model';

export function Choices(props: {
  choices: IChoice[];
  busy: boolean;
  onPick: (choice: IChoice) => void;
}): JSX.Element {
  return (
    <div
      className="jp-kubechat-choices"
      role="group"
      aria-label="Did you mean one of these?"
    >
      <span className="jp-kubechat-label">
        Did you mean (picking one proposes it; nothing runs without the usual
        approval):
      </span>
      {props.choices.map(choice => (
        <button
          key={choice.command}
          className={`jp-kubechat-button jp-kubechat-choice jp-kubechat-level-${choice.level}`}
          disabled={props.busy}
          data-level={choice.level}
          data-command={choice.command}
          title={choice.reasons.join('; ')}
          aria-label={`Propose ${choice.level} command ${choice.display || choice.command}: ${choice.why}`}
          onClick={() => props.onPick(choice)}
        >
          <span
            className={`jp-kubechat-badge jp-kubechat-badge-${choice.level}`}
          >
            {levelLabel(choice.level)}
          </span>
          <code className="jp-kubechat-command">
            {choice.display || choice.command}
          </code>
          {choice.why && <span className="jp-kubechat-why">{choice.why}</span>}
        </button>
      ))}
    </div>
  );
}
