/**
 * The native menu. File actions run in main (dialog, open) and tell the renderer what happened
 * through contract events; edit/playback items are forwarded as menu commands.
 */
import { Menu, app, type MenuItemConstructorOptions } from 'electron';
import type { Api } from '../api';

export async function buildMenu(api: Api, onError: (message: string) => void): Promise<void> {
  const openWith = async (open: () => Promise<unknown>) => {
    try {
      await open();
      await buildMenu(api, onError); // the recent list changed
    } catch (err) {
      onError(err instanceof Error ? err.message : String(err));
    }
  };

  let recent: MenuItemConstructorOptions[] = [];
  try {
    recent = (await api.call('projects.recent', { limit: 10 })).map((p) => ({
      label: `${p.name}${p.available ? '' : ' (missing)'}`,
      enabled: p.available,
      click: () =>
        void openWith(async () => {
          const project = await api.call('projects.open', { projectId: p.id });
          api.emit('project.opened', { project });
        }),
    }));
  } catch {
    recent = [];
  }

  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          label: 'Open Media…',
          accelerator: 'CmdOrCtrl+O',
          click: () =>
            void openWith(async () => {
              const project = await api.call('media.openDialog', {});
              if (project) api.emit('project.opened', { project });
            }),
        },
        {
          label: 'Open the Demo',
          click: () =>
            void openWith(async () => {
              const project = await api.call('demo.open', {});
              api.emit('project.opened', { project });
            }),
        },
        {
          label: 'Open Recent',
          submenu: recent.length ? recent : [{ label: 'No recent projects', enabled: false }],
        },
        { type: 'separator' },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => api.emit('menu.command', { command: 'export' }) },
        { type: 'separator' },
        { label: 'Close Project', accelerator: 'CmdOrCtrl+W', click: () => api.emit('menu.command', { command: 'close-project' }) },
        ...(isMac ? [] : [{ type: 'separator' as const }, { role: 'quit' as const }]),
      ],
    },
    {
      label: 'Edit',
      submenu: [
        // Undo/redo of project edits is the app's own history (in the database), not text undo.
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: () => api.emit('menu.command', { command: 'undo' }) },
        { label: 'Redo', accelerator: 'Shift+CmdOrCtrl+Z', click: () => api.emit('menu.command', { command: 'redo' }) },
        ...(isMac ? [] : [{ label: 'Redo', accelerator: 'Ctrl+Y', visible: false, click: () => api.emit('menu.command', { command: 'redo' }) }]),
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: 'Playback',
      submenu: [
        { label: 'Play / Pause (Space)', click: () => api.emit('menu.command', { command: 'play-pause' }) },
        { type: 'separator' },
        // Single-key shortcuts are handled in the page (they must not fire while typing a name).
        { label: 'Mute Selected Track (M)', click: () => api.emit('menu.command', { command: 'mute' }) },
        { label: 'Solo Selected Track (S)', click: () => api.emit('menu.command', { command: 'solo' }) },
      ],
    },
    {
      label: 'View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ type: 'separator' as const }, { role: 'toggleDevTools' as const }]),
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
