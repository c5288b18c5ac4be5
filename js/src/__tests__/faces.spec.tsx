/**
 * One card for every face: the side panel (components/Card.tsx, from the proposal the REST API
 * returns) and the notebook widget (widget/views.tsx, from the fields the kernel sends:
 * kubechat_lab/widgets/_cards.py) render the same proposal the same way: level, command,
 * state, context, reasons, assumptions, dry run, the typed name and the buttons; and a
 * refusal's choices as the same buttons. The fixture is checked against the kernel's code by
 * tests/widgets/test_faces_fixture.py.
 */

import { readFileSync } from 'fs';
import { resolve } from 'path';

import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { Card, ICardActions, ITurn } from '../components/Card';
import { IWidgetModel } from '../widget/model';
import { CardView } from '../widget/views';

const fixture = JSON.parse(
  readFileSync(
    resolve(__dirname, '../../../tests/fixtures/faces/proposal.json'),
    'utf-8'
  )
);

const noop = () => undefined;
const actions: ICardActions = {
  approve: noop,
  reject: noop,
  run: noop,
  insertCell: noop,
  setConfirm: noop,
  copy: async () => undefined,
  pick: noop,
  follow: noop
};

function panel(turn: Partial<ITurn>): string {
  const full: ITurn = {
    id: 't1',
    question: fixture.proposal.question,
    proposal: null,
    status: 'ready',
    confirmText: '',
    ran: false,
    ...turn
  };
  return renderToStaticMarkup(
    <Card turn={full} rowsPerPage={15} actions={actions} />
  );
}

/** anywidget's model as the page has it: traits by name (this is anywidget's API). */
function traits(values: Record<string, unknown>): IWidgetModel {
  return { get: name => values[name], on: noop };
}

function widget(values: Record<string, unknown>, canDecide = true): string {
  const api = canDecide ? ({ transport: { baseUrl: '/lab/' } } as any) : null;
  return renderToStaticMarkup(
    <CardView
      model={traits(values)}
      experimental={{ invoke: async () => [{}] }}
      api={api}
    />
  );
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#x27': "'",
  '#39': "'"
};

function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&(#x27|#39|amp|lt|gt|quot);/g, (_m, e) => ENTITIES[e])
    .trim();
}

/** The text of every element with `attr` (innermost markup stripped), in order. */
function all(html: string, attr: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<(\\w+)[^>]*${attr}[^>]*>`, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(html))) {
    const tag = m[1];
    const close = html.indexOf(`</${tag}>`, m.index + m[0].length);
    out.push(text(html.slice(m.index + m[0].length, close)));
  }
  return out;
}

function items(html: string): string[] {
  return [...html.matchAll(/<li>(.*?)<\/li>/g)].map(m => text(m[1]));
}

function section(html: string, cls: string): string {
  const start = html.indexOf(`<div class="${cls}">`);
  if (start < 0) {
    return '';
  }
  return html.slice(start, html.indexOf('</ul>', start));
}

/** What a person reads on the card and can press. */
function face(html: string) {
  return {
    level: all(html, 'data-testid="kc-level"'),
    command: all(html, 'data-testid="kc-command"'),
    state: all(html, 'data-testid="kc-state"'),
    meta: all(html, 'class="jp-kubechat-meta"'),
    explanation: all(html, 'class="jp-kubechat-explanation"'),
    reasons: items(section(html, 'jp-kubechat-reasons')),
    assumptions: items(section(html, 'jp-kubechat-assumptions')),
    diff: all(html, 'data-testid="kc-diff"'),
    twoPerson: all(html, 'data-testid="kc-two-person"'),
    confirm: all(html, 'class="jp-kubechat-confirm"'),
    decisions: all(html, 'data-testid="kc-(?:approve|reject)"'),
    approvalPage: all(html, 'data-testid="kc-approval-page"'),
    cached: all(html, 'data-testid="kc-cached"'),
    attributes: (html.match(/data-(?:level|state|proposal)="[^"]*"/g) || [])
      .slice(0, 3)
      .join(' ')
  };
}

describe('one card for every face', () => {
  const p = fixture.proposal;
  const inPanel = panel({ proposal: p });
  const inWidget = widget({
    card: fixture.card_fields,
    state: p.state,
    message: '',
    result: {},
    choices: []
  });

  it('renders a proposal the same way in the side panel and in the widget', () => {
    const a = face(inPanel);
    const b = face(inWidget);
    expect(b).toEqual(a);
    // and what both show is the proposal's, not two empty renders that agree
    expect(a.level).toEqual(['DANGEROUS']);
    expect(a.command).toEqual([p.display]);
    expect(a.state).toEqual(['· waiting for approval']);
    expect(a.meta[0]).toContain('context: sandbox');
    expect(a.reasons).toEqual(p.reasons);
    expect(a.assumptions).toEqual(p.assumptions);
    expect(a.diff).toEqual([p.preview.diff.trim()]);
    expect(a.twoPerson).toEqual([
      'needs approval by a member of sre-leads other than you'
    ]);
    // a dangerous command is approved on the approval page: a link, no name field here
    expect(a.confirm).toEqual([]);
    expect(a.approvalPage).toEqual(['Approve on the approval page']);
    expect(a.decisions).toEqual(['Reject']);
    expect(a.attributes).toContain('data-level="dangerous"');
    // an answer from the LLM answer cache is marked on the card, in both faces
    expect(a.cached).toEqual(['· cached answer']);
  });

  it('marks no cached answer on a fresh one', () => {
    const fresh = { ...p, cached: false };
    const html = panel({ proposal: fresh });
    expect(face(html).cached).toEqual([]);
    const fields = { ...fixture.card_fields, cached: false };
    expect(
      face(
        widget({
          card: fields,
          state: p.state,
          message: '',
          result: {},
          choices: []
        })
      ).cached
    ).toEqual([]);
  });

  it('says where to approve, instead of buttons, where the page cannot reach the server', () => {
    const html = widget(
      {
        card: fixture.card_fields,
        state: p.state,
        message: '',
        result: {},
        choices: []
      },
      false
    );
    expect(face(html).decisions).toEqual([]);
    expect(all(html, 'data-testid="kc-elsewhere"')[0]).toContain(
      `Approve proposal ${p.id}`
    );
  });

  it("renders a refusal's choices as the same buttons in both faces", () => {
    const answer = fixture.answer;
    const choicesPanel = panel({
      translation: answer.translation,
      choices: answer.choices
    });
    const choicesWidget = widget({
      card: {
        question: p.question,
        explanation: answer.translation.explanation
      },
      state: 'proposed',
      message: '',
      result: {},
      choices: fixture.choice_fields
    });
    const buttons = (html: string) => ({
      text: all(html, 'data-testid="kc-choice"'),
      commands: html.match(/data-command="[^"]*"/g),
      levels: html.match(/data-level="[^"]*"/g),
      prompt: all(html, 'class="jp-kubechat-label"')
    });
    expect(buttons(choicesWidget)).toEqual(buttons(choicesPanel));
    expect(buttons(choicesPanel).text).toEqual([
      `WARNING${answer.choices[0].display}${answer.choices[0].why}`,
      `SAFE${answer.choices[1].display}${answer.choices[1].why}`
    ]);
  });
});
