/**
 * The KubeChat JupyterLab extension: a side panel (right sidebar, restored on reload) to ask,
 * approve, read results, audit, and save a conversation as a runbook notebook.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Clipboard, ICommandPalette } from '@jupyterlab/apputils';
import { IStateDB } from '@jupyterlab/statedb';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { labApi } from './transport';
import { kubectlMagic } from './model';
import {
  DEFAULT_SETTINGS,
  IPanelHost,
  ISavedConversation,
  isTab,
  KubechatPanel
} from './panel';
import { buildRunbook } from './runbook';

const PLUGIN_ID = 'kubechat-lab:plugin';

namespace CommandIDs {
  export const open = 'kubechat:open';
  export const insert = 'kubechat:insert-cell';
  export const waiting = 'kubechat:waiting';
}

/**
 * The query parameter of a JupyterLab link that opens the panel on one of its tabs:
 * `lab?kubechat=waiting` is where an agent sends its person (kubechat_lab/mcp/_shape.py).
 */
const TAB_PARAM = 'kubechat';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
  '<path d="M12 2 3 6.5v11L12 22l9-4.5v-11L12 2zm0 2.2 6.8 3.4L12 11 5.2 7.6 12 4.2zM5 9.3l6 3v7.4' +
  'l-6-3V9.3zm8 10.4v-7.4l6-3v7.4l-6 3z"/></g></svg>';

export const kubechatIcon = new LabIcon({
  name: 'kubechat-lab:icon',
  svgstr: ICON_SVG
});

function stamp(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-` +
    `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`
  );
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'KubeChat: operate Kubernetes from a JupyterLab side panel, safely.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer, ISettingRegistry, ICommandPalette, IStateDB],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    state: IStateDB | null
  ) => {
    const api = labApi();

    const insertCell = (source: string): string | null => {
      const nb = notebooks.currentWidget;
      if (!nb) {
        return 'Open a notebook first: "Insert as cell" adds the command to the active notebook.';
      }
      const notebook = nb.content;
      const active = notebook.activeCell;
      const empty =
        active &&
        active.model.type === 'code' &&
        !active.model.sharedModel.getSource().trim();
      if (!empty) {
        NotebookActions.insertBelow(notebook);
      }
      const cell = notebook.activeCell;
      if (!cell) {
        return 'The notebook has no cell to write into.';
      }
      cell.model.sharedModel.setSource(source);
      app.shell.activateById(nb.id);
      return null;
    };

    const STATE_KEY = 'kubechat-lab:conversation';
    const host: IPanelHost = {
      insertCell,
      restore: state
        ? async () =>
            ((await state.fetch(STATE_KEY)) as unknown as
              ISavedConversation | undefined) ?? null
        : undefined,
      keep: state
        ? saved => {
            void state.save(STATE_KEY, saved as any);
          }
        : undefined,
      copy: async (text: string) => {
        if (navigator.clipboard?.writeText) {
          try {
            await navigator.clipboard.writeText(text);
            return;
          } catch {
            // fall back to the copy command below
          }
        }
        Clipboard.copyToSystem(text);
      },
      saveRunbook: async turns => {
        const notebook = buildRunbook(turns);
        const path = PathExt.join(
          '',
          `kubechat-runbook-${stamp(new Date())}.ipynb`
        );
        await app.serviceManager.contents.save(path, {
          type: 'notebook',
          format: 'json',
          content: notebook
        });
        await app.commands.execute('docmanager:open', { path });
        return path;
      },
      saveNotebook: async inv => {
        const name = `${inv.subject.kind.replace(/s$/, '')}-${inv.subject.name}`;
        const path = `kubechat-why-${name}-${stamp(new Date())}.ipynb`;
        await app.serviceManager.contents.save(path, {
          type: 'notebook',
          format: 'json',
          content: inv.notebook
        });
        await app.commands.execute('docmanager:open', { path });
        return path;
      }
    };

    const panel = new KubechatPanel(api, host, kubectlMagic);
    panel.id = 'kubechat-lab-panel';
    panel.title.icon = kubechatIcon;
    panel.title.caption = 'KubeChat';
    panel.title.label = '';
    panel.node.setAttribute('aria-label', 'KubeChat side panel');
    app.shell.add(panel, 'right', { rank: 600 });
    if (restorer) {
      restorer.add(panel, 'kubechat-lab');
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = () => {
            panel.settings = {
              runSafeWithoutClick:
                (settings.get('runSafeWithoutClick').composite as boolean) ??
                DEFAULT_SETTINGS.runSafeWithoutClick,
              rowsPerPage:
                (settings.get('rowsPerPage').composite as number) ??
                DEFAULT_SETTINGS.rowsPerPage
            };
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.error('kubechat-lab: could not load settings', reason);
        });
    }

    app.commands.addCommand(CommandIDs.open, {
      label: 'Open KubeChat',
      caption: 'Open the KubeChat side panel',
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.insert, {
      label: 'KubeChat: insert a %kubectl cell',
      execute: args => {
        const why = insertCell(
          `%kubectl ${String(args['command'] ?? '')}`.trim()
        );
        if (why) {
          throw new Error(why);
        }
      }
    });
    app.commands.addCommand(CommandIDs.waiting, {
      label: 'KubeChat: what waits for my decision',
      caption:
        'Open the proposals of your kernels and agents that wait for you',
      execute: () => {
        app.shell.activateById(panel.id);
        panel.showTab('waiting');
      }
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.open, category: 'KubeChat' });
      palette.addItem({ command: CommandIDs.waiting, category: 'KubeChat' });
    }
    const wanted = new URLSearchParams(window.location.search).get(TAB_PARAM);
    if (wanted && isTab(wanted)) {
      void app.restored.then(() => {
        app.shell.activateById(panel.id);
        panel.showTab(wanted);
      });
    }
  }
};

export default plugin;
