import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { startCluster, until } from '../helpers/cluster';
import type { Core } from '../../src/main/core';
import { RpcError } from '../../src/shared/contract';
import type { Incident } from '../../src/shared/entities';
import { AUDIT_EXPORT_COLUMNS, type AuditExport, type AuditSearchResponse } from '../../src/shared/audit-search';
import { startCore } from './caseload.helpers';
import { enroll, http } from './server-helpers';

/**
 * Issue 14, the console side of the supervisor's audit screen: `audit.search` and `audit.export`
 * go from the console's contract through its core to the sync server's `audit.search` (as the
 * program figures do). What a supervisor did on his console reaches the server's log and is
 * found there by user; an export pages through, caps at its bound and says so, writes formulas
 * as text, and is itself recorded; a clinician is refused; offline says the server is needed.
 */
type Cluster = Awaited<ReturnType<typeof startCluster>>;
let cluster: Cluster | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await cluster?.close();
  cluster = null;
  for (const c of cleanups.splice(0)) c();
});

const online = (c: Core) => c.syncStatus().state === 'online';

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error('expected a rejection');
}

describe('the audit screen through the core', () => {
  it('finds what a supervisor did by user, pages, exports as CSV (capped, said so), and refuses a clinician', async () => {
    cluster = await startCluster();
    await cluster.addUser('morgan', 'supervisor', 'Morgan Lee');
    await cluster.addUser('ana', 'clinician', 'Ana Ruiz');
    const morgan = await cluster.console('sup-desk', 'morgan');
    const ana = await cluster.console('clin-desk', 'ana');
    await until(() => online(morgan) && online(ana), 10_000, 'online');

    // Something audited on his console: it reaches the server's log within a second or so.
    const incident = (await morgan.call('incident.create', { type: 'Welfare check', location: '1 Main St' })) as Incident;
    let found: AuditSearchResponse | null = null;
    await until(
      async () => {
        found = (await morgan.call('audit.search', { actor: 'morgan', action: 'incident.create' })) as AuditSearchResponse;
        return found.entries.length > 0;
      },
      15_000,
      "the console's entry on the server",
    );
    const entry = found!.entries[0];
    expect(entry).toMatchObject({ actor: 'morgan', action: 'incident.create', subject: `incident:${incident.id}`, workstationName: 'sup-desk' });
    expect(entry.source).toMatch(/^ws:/);

    // By user: his sign-in is there, hers is not.
    const his = (await morgan.call('audit.search', { actor: 'morgan', limit: 200 })) as AuditSearchResponse;
    expect(his.entries.some((e) => e.action === 'signin')).toBe(true);
    expect(his.entries.every((e) => e.actor === 'morgan')).toBe(true);
    // A page at a time, newest first, with `next` for the older ones.
    const first = (await morgan.call('audit.search', { limit: 1 })) as AuditSearchResponse;
    const second = (await morgan.call('audit.search', { limit: 1, before: first.next! })) as AuditSearchResponse;
    expect(first.next).not.toBeNull();
    expect(second.entries[0].id).toBeLessThan(first.entries[0].id);

    // A failed sign-in whose typed username is a spreadsheet formula.
    const ws = await enroll(cluster.server, 'kiosk');
    const refused = await http(cluster.server.url, 'POST', '/v1/session', { headers: ws.headers, body: { username: '=HYPERLINK("http://x")', password: 'wrong-password' } });
    expect(refused.status).toBe(401);

    // Export: everything the filter matches, as CSV with a header row; formulas written as text.
    const failed = (await morgan.call('audit.export', { action: 'signin.failed' })) as AuditExport;
    expect(failed).toMatchObject({ rows: 1, capped: false });
    const rows = parse(failed.csv) as string[][];
    expect(rows[0]).toEqual([...AUDIT_EXPORT_COLUMNS]);
    expect(rows).toHaveLength(2);
    const col = (name: (typeof AUDIT_EXPORT_COLUMNS)[number]) => AUDIT_EXPORT_COLUMNS.indexOf(name);
    expect(rows[1][col('action')]).toBe('signin.failed');
    expect(rows[1][col('subject')]).toBe(`'=HYPERLINK("http://x")`);
    expect(rows[1][col('workstation')]).toBe('kiosk');

    const mine = (await morgan.call('audit.export', { actor: 'morgan', action: 'incident.create' })) as AuditExport;
    const mineRows = parse(mine.csv) as string[][];
    expect(mine).toMatchObject({ rows: 1, capped: false });
    expect(mineRows[1][col('subject')]).toBe(`incident:${incident.id}`);
    expect(mineRows[1][col('workstation')]).toBe('sup-desk');

    // More match than the bound: the newest ones, and it says it was capped.
    const all = (await morgan.call('audit.search', { limit: 200 })) as AuditSearchResponse;
    expect(all.entries.length).toBeGreaterThan(3);
    const capped = (await morgan.call('audit.export', { max: 3 })) as AuditExport;
    expect(capped).toMatchObject({ rows: 3, capped: true });
    expect(parse(capped.csv)).toHaveLength(4);
    // Exactly as many as match: not capped.
    const exact = (await morgan.call('audit.export', { action: 'signin.failed', max: 1 })) as AuditExport;
    expect(exact).toMatchObject({ rows: 1, capped: false });

    // The export is itself recorded (on the console, then on the server), with what it matched.
    await until(
      async () => ((await morgan.call('audit.search', { actor: 'morgan', action: 'audit.export' })) as AuditSearchResponse).entries.length >= 4,
      15_000,
      'the exports recorded on the server',
    );
    const exports = (await morgan.call('audit.search', { actor: 'morgan', action: 'audit.export' })) as AuditSearchResponse;
    expect(exports.entries.map((e) => JSON.parse(e.detail!) as { rows: number; capped: boolean })).toContainEqual(expect.objectContaining({ rows: 3, capped: true }));

    // Bad input is said before it leaves the console.
    const bad = await rejection(morgan.call('audit.search', { from: 'yesterday' }));
    expect(bad.code).toBe('bad_request');
    expect(bad.message).toMatch(/from/);

    // A clinician's console refuses her both, before the server is asked.
    for (const name of ['audit.search', 'audit.export'] as const) {
      const no = await rejection(ana.call(name, {}));
      expect({ name, code: no.code }).toEqual({ name, code: 'forbidden' });
    }

    // Offline: the log is on the server, and the console says so.
    await cluster.stopServer();
    await until(() => !online(morgan), 10_000, 'offline');
    for (const name of ['audit.search', 'audit.export'] as const) {
      const off = await rejection(morgan.call(name, {}));
      expect(off.code).toBe('unavailable');
      expect(off.message).toMatch(/The audit log is kept on the sync server/);
    }
  });

  it('says a console without a sync server has no audit log to search', async () => {
    const t = await startCore({ role: 'supervisor' });
    cleanups.push(() => t.close());
    const err = await rejection(t.call('audit.search', {}));
    expect(err.code).toBe('unavailable');
    expect(err.message).toBe('The audit log is kept on the sync server, and this console has none: it works alone');
  });
});
