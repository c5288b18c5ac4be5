/**
 * The notebook widgets' ES module (anywidget `_esm`), bundled with React by esbuild into
 * kubechat_lab/widgets/static/kubechat.js (`jlpm build:widget`). The view is chosen by the
 * `view` trait: card (CommandCard), chat (ChatPanel), live (LiveTable) or dashboard
 * (DashboardWidget).
 */

import '../../style/base.css';
import '../../style/widget.css';
import '../../style/findings.css';

import * as React from 'react';
import { createRoot } from 'react-dom/client';

import { IRenderProps } from './model';
import { pageApi } from './page';
import { DashboardView } from './dashboard';
import { CardView, ChatView, LiveView } from './views';

function render({ model, el, experimental }: IRenderProps): () => void {
  const api = pageApi();
  const view = model.get('view');
  const root = createRoot(el);
  root.render(
    view === 'chat' ? (
      <ChatView model={model} experimental={experimental} api={api} />
    ) : view === 'dashboard' ? (
      <DashboardView model={model} api={api} />
    ) : view === 'live' ? (
      <LiveView model={model} api={api} />
    ) : (
      <CardView model={model} experimental={experimental} api={api} />
    )
  );
  return () => root.unmount();
}

export default { render };
