/**
 * The choices of a refusal, the same in every face: one button per reading the server made
 * explicit and judged. Picking one proposes that command like a typed one (same route, policy
 * and approval); the host says how (`onPick`).
 */

import * as React from 'react';

import { IChoice, levelLabel } from '../model';
import { CHOICES_PROMPT } from '../wording';

export function Choices(props: {
  choices: IChoice[];
  busy: boolean;
  /** The index of the choice already picked, if any (all buttons are then disabled). */
  picked?: number | null;
  onPick: (choice: IChoice, index: number) => void;
}): JSX.Element {
  const picked = props.picked ?? null;
  return (
    <div
      className="jp-kubechat-choices"
      role="group"
      aria-label="Did you mean one of these?"
    >
      <span className="jp-kubechat-label">{CHOICES_PROMPT}</span>
      {props.choices.map((choice, index) => (
        <button
          key={choice.command}
          type="button"
          className={
            `jp-kubechat-button jp-kubechat-choice jp-kubechat-level-${choice.level}` +
            (picked === index ? ' jp-kubechat-picked' : '')
          }
          disabled={props.busy || picked !== null}
          data-testid="kc-choice"
          data-level={choice.level}
          data-command={choice.command}
          title={(choice.reasons || []).join('; ')}
          aria-label={`Propose ${choice.level} command ${choice.display || choice.command}: ${choice.why}`}
          onClick={() => props.onPick(choice, index)}
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
