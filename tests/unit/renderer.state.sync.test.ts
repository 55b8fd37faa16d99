import { describe, expect, it, vi } from 'vitest';
import type { SyncStatus } from '../../src/shared/contract';
import { createSyncStore } from '../../src/renderer/state/sync';
import { fakeCore } from './renderer.fake-core';

const online: SyncStatus = { state: 'online', offlineSince: null, pending: 0, refused: 0, lastSyncedAt: null, error: null, serverUrl: null };

describe('sync state', () => {
  it('starts from the client’s connection and takes the statuses the core reports', () => {
    const sync = createSyncStore({ client: fakeCore({}).client });
    expect(sync.getState()).toMatchObject({ connection: 'connected', status: null });
    sync.getState().setStatus({ ...online, state: 'offline', pending: 3 });
    expect(sync.getState().status).toMatchObject({ state: 'offline', pending: 3 });
  });

  it('once the core is back, asks how sync stands now (events only report changes)', async () => {
    const core = fakeCore({ 'sync.status': () => online });
    const sync = createSyncStore({ client: core.client });
    sync.getState().connectionChanged('reconnecting');
    expect(sync.getState().connection).toBe('reconnecting');
    expect(core.calls).toEqual([]);
    sync.getState().connectionChanged('connected');
    await vi.waitFor(() => expect(sync.getState().status?.state).toBe('online'));
  });

  it('a status request that fails leaves the last known status', async () => {
    const core = fakeCore({});
    const sync = createSyncStore({ client: core.client });
    sync.getState().setStatus({ ...online, pending: 5 });
    sync.getState().connectionChanged('connected');
    await vi.waitFor(() => expect(core.calls.map((c) => c.name)).toEqual(['sync.status']));
    expect(sync.getState().status?.pending).toBe(5);
  });
});
