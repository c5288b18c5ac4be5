/** The panel's header: cluster, context, identity, provider and database at a glance. */

import * as React from 'react';

import { IHealth, IPart } from '../model';

function Part(props: {
  name: string;
  part?: IPart;
  text: string;
}): JSX.Element {
  const ok = props.part?.ok ?? false;
  const status = ok ? 'ok' : 'down';
  return (
    <div
      className={`jp-kubechat-health jp-kubechat-health-${status}`}
      title={props.part?.error || ''}
    >
      <span className="jp-kubechat-health-name">{props.name}</span>{' '}
      <span
        className="jp-kubechat-health-value"
        data-kubechat-health={props.name}
      >
        {props.text}
      </span>{' '}
      <span
        className="jp-kubechat-health-status"
        aria-label={`${props.name} ${status}`}
      >
        [{status}]
      </span>
    </div>
  );
}

export function Header(props: {
  health: IHealth | null;
  error: string;
  onRefresh: () => void;
}): JSX.Element {
  const h = props.health;
  const contexts = h?.cluster?.contexts || {};
  const first = Object.values(contexts)[0] as IPart | undefined;
  const version = (first?.version as string | undefined) || '';
  const identity = h?.identity;
  const who = identity?.ok
    ? `${identity.username}${identity.impersonated ? ' (impersonated)' : ''}`
    : identity?.error
      ? 'unknown'
      : '…';
  const provider = h?.provider ? String(h.provider['provider'] ?? '') : '';
  return (
    <header
      className="jp-kubechat-header"
      aria-label="Cluster and service status"
    >
      <div className="jp-kubechat-header-row">
        <Part
          name="cluster"
          part={h?.cluster}
          text={
            h
              ? h.cluster.ok
                ? `Kubernetes ${version}`
                : first?.error
                  ? 'unreachable'
                  : 'down'
              : '…'
          }
        />
        <Part
          name="context"
          part={h?.cluster}
          text={h?.context || (first?.context as string) || '(current)'}
        />
      </div>
      <div className="jp-kubechat-header-row">
        <Part name="identity" part={identity} text={who} />
        <Part name="provider" part={h?.provider} text={provider || '…'} />
        <Part
          name="database"
          part={h?.database}
          text={
            h
              ? h.database.ok
                ? `audit seq ${h.database['head_seq']}`
                : 'down'
              : '…'
          }
        />
        <button
          className="jp-kubechat-button jp-kubechat-link"
          onClick={props.onRefresh}
          title="Check health again"
        >
          Refresh
        </button>
      </div>
      {props.error && (
        <div className="jp-kubechat-error" role="alert">
          {props.error}
        </div>
      )}
    </header>
  );
}
