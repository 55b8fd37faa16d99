import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { PreloadApi } from '../../shared/bridge';

/**
 * The only thing the page gets: one small typed object. No ipcRenderer, no Node.
 * Runs sandboxed, so it may import only 'electron' (bundled into one file at build).
 */
const api: PreloadApi = {
  call: (name, input) => ipcRenderer.invoke('tandem:call', name, input),
  on: (listener) => {
    const wrapped = (_e: IpcRendererEvent, name: string, payload: unknown) => listener(name, payload);
    ipcRenderer.on('tandem:event', wrapped);
    return () => ipcRenderer.off('tandem:event', wrapped);
  },
};

contextBridge.exposeInMainWorld('tandem', api);
