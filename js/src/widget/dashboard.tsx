/**
 * `%kubechat dashboard`: the side panel's Cluster tab in a cell. It refreshes while the cell
 * is on screen (IntersectionObserver) and the page is visible; "Insert as cell" copies the
 * tile's `%kubectl` cell (a widget cannot add cells to the notebook itself).
 */

import * as React from 'react';

import { KubechatApi } from '../api';
import { Dashboard } from '../components/Dashboard';
import { IWidgetModel, useTrait } from './model';

/** Whether `ref`'s element is on screen (true where IntersectionObserver is missing). */
function useOnScreen(ref: React.RefObject<HTMLElement>): boolean {
  const [shown, setShown] = React.useState(true);
  React.useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === 'undefined') {
      return;
    }
    const observer = new IntersectionObserver(entries => {
      setShown(entries.some(e => e.isIntersecting));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return shown;
}

export function DashboardView(props: {
  model: IWidgetModel;
  api: KubechatApi | null;
}): JSX.Element {
  const context = useTrait<string>(props.model, 'context');
  const ref = React.useRef<HTMLDivElement>(null);
  const shown = useOnScreen(ref);
  if (!props.api) {
    return (
      <div className="jp-kubechat-widget jp-kubechat-hint">
        This page has no route to the kubechat server (it is not JupyterLab or
        Notebook): open the notebook in JupyterLab to see the dashboard.
      </div>
    );
  }
  return (
    <div ref={ref} className="jp-kubechat-widget jp-kubechat-dash-widget">
      <Dashboard
        api={props.api}
        active={shown}
        context={context || undefined}
        insertCell={async source => {
          try {
            await navigator.clipboard.writeText(source);
            return 'Copied the cell: paste it into a new cell and run it.';
          } catch (e) {
            return `Could not copy (${e}); the cell is:\n${source}`;
          }
        }}
      />
    </div>
  );
}
