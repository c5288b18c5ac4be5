/**
 * An investigation's findings are one component (components/Findings.tsx): the side panel's
 * why-turn and the chat widget render the same markup for the same reply; evidence rows and
 * each finding's judged next command show; the LLM summary is labelled and plain text; a
 * refused why-question offers its objects.
 */

import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { ITurn } from '../components/Card';
import { Findings, offerFor, WhyRouteView } from '../components/Findings';
import { WhyTurn } from '../components/WhyTurn';
import { IInvestigation, IWhyRoute } from '../model';
import { IWidgetModel } from '../widget/model';
import { ChatView } from '../widget/views';

const noop = () => undefined;

const investigation: IInvestigation = {
  subject: { kind: 'deployments', name: 'recommendations', namespace: 'shop' },
  question: 'why is recommendations pending',
  reads: [
    {
      step: 'object',
      command: 'kubectl get deployments recommendations -n shop -o json',
      error: null,
      proposal: 'p1',
      objects: 1,
      rows: 0
    },
    {
      step: 'events',
      command:
        'kubectl get events -n shop --field-selector involvedObject.name=recommendations',
      error: null,
      proposal: 'p2',
      objects: 0,
      rows: 3
    }
  ],
  findings: [
    {
      title:
        '0 of 3 nodes fit pod recommendations-5d9-x2k: requests 4 CPU, largest free 1.5 CPU (kwok-worker-2)',
      evidence: [
        '[nodes] kwok-worker-2: insufficient cpu',
        '[events] FailedScheduling'
      ],
      next_command:
        'kubectl scale deployment recommendations -n shop --replicas=0',
      severity: 'error',
      steps: ['nodes']
    },
    {
      title: 'Warning events: FailedScheduling x3',
      evidence: ['[events] 0/3 nodes are available'],
      next_command: 'kubectl delete namespace shop',
      severity: 'warning',
      steps: ['events']
    }
  ],
  next: [
    {
      command:
        'kubectl scale deployment recommendations -n shop --replicas=0 --context=sandbox',
      display: 'kubectl scale deployment recommendations -n shop --replicas=0',
      level: 'warning',
      reasons: ['changes the replica count'],
      why: '0 of 3 nodes fit pod recommendations-5d9-x2k: requests 4 CPU, largest free 1.5 CPU (kwok-worker-2)'
    }
  ],
  summary: {
    label: 'LLM summary (from the evidence above; may be wrong)',
    text: 'No node has 4 free CPUs. <img src=x onerror=alert(1)>'
  },
  seconds: 0.42,
  notebook: { cells: [] }
};

describe('findings', () => {
  const html = renderToStaticMarkup(
    <Findings investigation={investigation} onPropose={noop} onSave={noop} />
  );

  it('shows each finding with its evidence rows', () => {
    expect(html).toContain('0 of 3 nodes fit pod recommendations-5d9-x2k');
    expect(html).toContain('[nodes] kwok-worker-2: insufficient cpu');
    expect(html.match(/data-testid="kc-evidence"/g)).toHaveLength(3);
    expect(html.match(/data-testid="kc-finding"/g)).toHaveLength(2);
  });

  it('offers a judged next command as a proposal, and only the judged ones', () => {
    expect(html.match(/data-testid="kc-next-propose"/g)).toHaveLength(1);
    expect(html).toContain('data-level="warning"');
    expect(html).toContain('propose (waits for approval)');
    // not judged (the server left it out): shown as text, no button to propose it
    expect(html).toContain(
      '<code class="jp-kubechat-command">kubectl delete namespace shop'
    );
    expect(offerFor(investigation.findings[1], investigation.next)).toBeNull();
  });

  it('labels the LLM summary and renders it as plain text', () => {
    expect(html).toContain(
      'LLM summary (from the evidence above; may be wrong)'
    );
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
  });

  it('has no summary block without a model', () => {
    const bare = renderToStaticMarkup(
      <Findings
        investigation={{ ...investigation, summary: null }}
        onPropose={noop}
      />
    );
    expect(bare).not.toContain('kc-summary');
    expect(bare).not.toContain('Save as notebook');
  });

  it('is the same markup in the side panel and in the chat widget', () => {
    const turn: ITurn = {
      id: 't1',
      question: 'why is recommendations pending',
      proposal: null,
      status: 'done',
      confirmText: '',
      ran: false,
      investigation: { ...investigation, notebook: undefined },
      investigate: {
        target: 'deployment/recommendations -n shop',
        subject: investigation.subject,
        label: 'deployment recommendations in shop',
        plan: [],
        choices: [],
        explanation: ''
      }
    };
    const panel = renderToStaticMarkup(
      <WhyTurn turn={turn} actions={{ investigate: noop, propose: noop }} />
    );
    const model: IWidgetModel = {
      get: name =>
        name === 'messages'
          ? [
              { role: 'user', text: turn.question },
              {
                role: 'why',
                question: turn.question,
                route: turn.investigate,
                investigation: turn.investigation
              }
            ]
          : undefined,
      on: noop
    };
    const widget = renderToStaticMarkup(
      <ChatView
        model={model}
        experimental={{ invoke: async () => [{}] }}
        api={null}
      />
    );
    const section = (h: string) => {
      const start = h.indexOf('<section');
      return h.slice(start, h.indexOf('</section>', start));
    };
    expect(section(panel)).toContain('kc-finding');
    expect(section(widget)).toEqual(section(panel));
  });
});

describe('why route', () => {
  it('shows the plan while the reads run', () => {
    const route: IWhyRoute = {
      target: 'node/kwok-worker-2',
      subject: { kind: 'nodes', name: 'kwok-worker-2', namespace: null },
      label: 'node kwok-worker-2',
      plan: ['kubectl get nodes kwok-worker-2 -o json'],
      choices: [],
      explanation: ''
    };
    const html = renderToStaticMarkup(
      <WhyRouteView route={route} running={true} onInvestigate={noop} />
    );
    expect(html).toContain('Investigating node kwok-worker-2');
    expect(html).toContain('kubectl get nodes kwok-worker-2 -o json');
  });

  it('offers the objects a refused question may mean, never a guess', () => {
    const route: IWhyRoute = {
      target: null,
      subject: null,
      label: null,
      plan: [],
      choices: [
        {
          target: 'deployment/recommendations -n shop',
          label: 'deployment recommendations in shop',
          subject: investigation.subject
        }
      ],
      explanation: 'Not investigated: there is no object this names.'
    };
    const html = renderToStaticMarkup(
      <WhyRouteView route={route} running={false} onInvestigate={noop} />
    );
    expect(html).toContain('Not investigated');
    expect(html).toContain('data-target="deployment/recommendations -n shop"');
    expect(html).not.toContain('kc-why-plan');
  });
});
