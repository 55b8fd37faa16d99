import { createStore, type StoreApi } from 'zustand/vanilla';
import type { SyncStatus } from '../../shared/contract';
import type { ConsoleClient } from '../client';
import type { ConnectionState } from '../logic/status';

/** The link to the sync server (as the core reports it) and to the core itself. */
export interface SyncState {
  status: SyncStatus | null;
  connection: ConnectionState;
  setStatus(status: SyncStatus): void;
  /** The link to the core went up or down; once up, asks for the sync state as it is now. */
  connectionChanged(connection: ConnectionState): void;
}

export type SyncStore = StoreApi<SyncState>;

export function createSyncStore({ client }: { client: ConsoleClient }): SyncStore {
  return createStore<SyncState>()((set) => ({
    status: null,
    connection: client.connection(),
    setStatus(status) {
      set({ status });
    },
    connectionChanged(connection) {
      set({ connection });
      // Events only report changes: ask once for the link's state as it is now.
      if (connection === 'connected') {
        client.call('sync.status', {}).then(
          (status) => set({ status }),
          () => undefined,
        );
      }
    },
  }));
}
