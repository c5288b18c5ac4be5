/**
 * An investigation, the same in every face (side panel, chat widget, a dashboard's
 * "Investigate"): the object and the reads its plan runs, then the findings with their
 * evidence rows, each finding's next command as an offer (proposed on a click, like a typed
 * command: a write waits for its approval, the investigation never runs it), the optional LLM
 * summary (clearly labelled, plain text), and every read with its exact command.
 *
 * Presentational only: the host says how to investigate, propose and save.
 */

import * as React from 'react';

import {
  IChoice,
  IFinding,
  IInvestigation,
  IWhyRoute,
  levelLabel,
  subjectLabel
} from '../model';

/** What a refused why-question says above the objects it may mean. */
export const WHY_CHOICES_PROMPT = 'Investigate which one?';

/** The judged offer of a finding's next command (the server judged it; forbidden ones are left out). */
export function offerFor(
  finding: IFinding,
  next: IChoice[] | undefined
): IChoice | null {
  if (!finding.next_command) {
    return null;
  }
  const offers = next || [];
  return (
    offers.find(o => o.why === finding.title) ||
    offers.find(o => o.command === finding.next_command) ||
    null
  );
}

/** Before the investigation answers: which object, and the first reads it runs. */
export function WhyRouteView(props: {
  route: IWhyRoute;
  /** The investigation is running (the plan's reads are shown as running). */
  running: boolean;
  busy?: boolean;
  onInvestigate: (target: string) => void;
}): JSX.Element {
  const { route } = props;
  if (!route.target) {
    return (
      <div
        className="jp-kubechat-why-refused"
        role="status"
        data-testid="kc-why-refused"
      >
        <div className="jp-kubechat-nocommand">{route.explanation}</div>
        {route.choices.length > 0 && (
          <div
            className="jp-kubechat-choices"
            role="group"
            aria-label={WHY_CHOICES_PROMPT}
          >
            <span className="jp-kubechat-label">{WHY_CHOICES_PROMPT}</span>
            {route.choices.map(choice => (
              <button
                key={choice.target}
                type="button"
                className="jp-kubechat-button jp-kubechat-choice"
                data-testid="kc-why-choice"
                data-target={choice.target}
                disabled={props.busy}
                onClick={() => props.onInvestigate(choice.target)}
              >
                Investigate <code>{choice.target}</code>
              </button>
            ))}
          </div>
        )}
      </div>
    );
  }
  return (
    <div className="jp-kubechat-why-plan" data-testid="kc-why-plan">
      <div className="jp-kubechat-why-title">
        Investigating {route.label || route.target}
      </div>
      {props.running && (
        <div className="jp-kubechat-progress" role="status">
          Running safe reads (each audited); more follow from what they show…
        </div>
      )}
      {props.running && (
        <ul className="jp-kubechat-why-reads" aria-label="Reads of the plan">
          {route.plan.map(command => (
            <li key={command}>
              <code className="jp-kubechat-command">{command}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function FindingView(props: {
  finding: IFinding;
  offer: IChoice | null;
  busy: boolean;
  proposed: boolean;
  onPropose: (choice: IChoice) => void;
}): JSX.Element {
  const { finding, offer } = props;
  return (
    <li
      className={`jp-kubechat-finding jp-kubechat-finding-${finding.severity}`}
      data-testid="kc-finding"
      data-severity={finding.severity}
    >
      <div className="jp-kubechat-finding-title">
        <span
          className={`jp-kubechat-badge jp-kubechat-severity-${finding.severity}`}
        >
          {finding.severity.toUpperCase()}
        </span>{' '}
        <span data-testid="kc-finding-title">{finding.title}</span>
      </div>
      {finding.evidence.length > 0 && (
        <ul className="jp-kubechat-evidence" aria-label="Evidence">
          {finding.evidence.map((row, i) => (
            <li key={i} data-testid="kc-evidence">
              <code>{row}</code>
            </li>
          ))}
        </ul>
      )}
      {finding.next_command && (
        <div className="jp-kubechat-next" data-testid="kc-next">
          <span className="jp-kubechat-label">Next:</span>
          {offer ? (
            <button
              type="button"
              className={`jp-kubechat-button jp-kubechat-choice jp-kubechat-level-${offer.level}`}
              data-testid="kc-next-propose"
              data-level={offer.level}
              data-command={offer.command}
              disabled={props.busy || props.proposed}
              title={(offer.reasons || []).join('; ')}
              aria-label={`Propose ${offer.level} command ${offer.display || offer.command}`}
              onClick={() => props.onPropose(offer)}
            >
              <span
                className={`jp-kubechat-badge jp-kubechat-badge-${offer.level}`}
              >
                {levelLabel(offer.level)}
              </span>
              <code className="jp-kubechat-command">
                {offer.display || offer.command}
              </code>
              <span className="jp-kubechat-why">
                {props.proposed
                  ? 'proposed'
                  : offer.level === 'safe'
                    ? 'propose'
                    : 'propose (waits for approval)'}
              </span>
            </button>
          ) : (
            <code className="jp-kubechat-command">{finding.next_command}</code>
          )}
        </div>
      )}
    </li>
  );
}

/** The reply of `POST investigate`: findings, next commands, summary, reads. */
export function Findings(props: {
  investigation: IInvestigation;
  busy?: boolean;
  /** Propose a finding's next command like a typed command (never run by the investigation). */
  onPropose: (choice: IChoice) => void;
  /** Offered when the host can write the investigation as a runbook notebook. */
  onSave?: () => void;
}): JSX.Element {
  const inv = props.investigation;
  const [proposed, setProposed] = React.useState<string[]>([]);
  const summary = inv.summary;
  return (
    <section
      className="jp-kubechat-investigation"
      data-testid="kc-investigation"
      aria-label={`Investigation of ${subjectLabel(inv.subject)}`}
    >
      <div className="jp-kubechat-why-title">
        Why: {subjectLabel(inv.subject)}
      </div>
      <div className="jp-kubechat-label">
        Findings (deterministic, from the evidence below)
      </div>
      {inv.findings.length ? (
        <ol className="jp-kubechat-findings">
          {inv.findings.map((f, i) => {
            const offer = offerFor(f, inv.next);
            return (
              <FindingView
                key={i}
                finding={f}
                offer={offer}
                busy={!!props.busy}
                proposed={!!offer && proposed.includes(offer.command)}
                onPropose={choice => {
                  setProposed(p => [...p, choice.command]);
                  props.onPropose(choice);
                }}
              />
            );
          })}
        </ol>
      ) : (
        <div className="jp-kubechat-empty" data-testid="kc-no-findings">
          No finding: the reads show nothing wrong with it.
        </div>
      )}
      {summary && (
        <div className="jp-kubechat-summary" data-testid="kc-summary">
          <div className="jp-kubechat-label">{summary.label}</div>
          {summary.text ? (
            <p className="jp-kubechat-summary-text">{summary.text}</p>
          ) : (
            <p className="jp-kubechat-message">
              No summary: {summary.error || 'the model gave none'}.
            </p>
          )}
        </div>
      )}
      <details className="jp-kubechat-why-reads-done">
        <summary>
          {inv.reads.length} safe reads, each audited as its proposal
          {inv.seconds !== undefined ? ` (${inv.seconds.toFixed(1)} s)` : ''}
        </summary>
        <table className="jp-kubechat-table" data-testid="kc-why-reads">
          <thead>
            <tr>
              <th>step</th>
              <th>command</th>
              <th>result</th>
            </tr>
          </thead>
          <tbody>
            {inv.reads.map((r, i) => (
              <tr key={i}>
                <td>{r.step}</td>
                <td>
                  <code>{r.command}</code>
                </td>
                <td>
                  {r.error ||
                    (r.objects ? `${r.objects} objects` : `${r.rows} rows`)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      {props.onSave && inv.notebook && (
        <button
          type="button"
          className="jp-kubechat-button jp-kubechat-why-save"
          onClick={props.onSave}
          title="Write the reads as %kubectl cells and the findings as markdown"
        >
          Save as notebook
        </button>
      )}
    </section>
  );
}
