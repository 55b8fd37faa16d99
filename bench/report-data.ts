import type { Db } from '../src/main/core/store/open';
import { ENTITIES, type EntityName } from '../src/shared/entities';
import { toStored } from '../src/main/core/store/stored';
import { rng } from './caseload-data';

/**
 * Synthetic program activity for bench:report and the dashboard's end-to-end test: live
 * handoffs (answered, declined, unanswered, cancelled, with outcomes), cases (some for the same
 * person again), contacts, screenings, referrals and follow-up tasks, spread over a range.
 * Deterministic for a seed; the same rows can go into a console's store or a server's log.
 */
export interface ReportDataOptions {
  cases: number;
  handoffs: number;
  /** Epoch ms: rows fall between these. */
  from: number;
  to: number;
  /** Clinicians' user ids; the first takes the largest share. */
  clinicians: string[];
  seed?: number;
}

export interface RowWrite {
  entity: EntityName;
  id: string;
  fields: Record<string, unknown>;
}

const OUTCOMES = ['resolved_by_phone', 'resolved_by_phone', 'referral', 'follow_up_needed', 'responders_needed', 'transport'] as const;
const BANDS = ['minimal', 'mild', 'moderate', 'moderately severe', 'severe'] as const;
const RISKS = ['none', 'low', 'moderate', 'high'] as const;

export function* reportRows(o: ReportDataOptions): Generator<RowWrite> {
  const r = rng(o.seed ?? 7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const at = () => o.from + Math.floor(r() * (o.to - o.from));
  const iso = (ms: number) => new Date(ms).toISOString();
  const clinician = () => (r() < 0.5 ? o.clinicians[0] : pick(o.clinicians));
  for (let i = 0; i < o.handoffs; i++) {
    const req = at();
    const x = r();
    const rang = x < 0.97;
    const ringingAt = rang ? req + 300 + Math.floor(r() * 3000) : null;
    // No call is left accepted and open: a console would show it as a conference in progress.
    const state = !rang ? 'cancelled' : x < 0.86 ? 'completed' : x < 0.91 ? 'declined' : x < 0.95 ? 'timed_out' : 'cancelled';
    const accepted = state === 'completed';
    const by = accepted ? clinician() : null;
    const declinedBy = state === 'declined' ? clinician() : null;
    yield {
      entity: 'handoff',
      id: `h-${i}`,
      fields: {
        incidentId: `inc-${i}`,
        mode: 'live',
        state,
        requestedBy: 'u-dana',
        requestedByName: 'Dispatcher',
        requestedAt: iso(req),
        ringingAt: ringingAt === null ? null : iso(ringingAt),
        acceptedBy: by,
        acceptedByName: by ? 'Clinician' : null,
        acceptedAt: accepted ? iso(ringingAt! + 2000 + Math.floor(r() * 40_000)) : null,
        endedAt: iso(req + 600_000),
        declines: declinedBy ? [{ by: declinedBy, name: 'Clinician', reason: 'On another call', at: iso(req + 5000) }] : null,
        outcome: state === 'completed' ? pick(OUTCOMES) : null,
        caseId: null,
        note: null,
      },
    };
  }
  // About one case in eight is a person seen before.
  const people = Math.max(1, Math.floor(o.cases * 0.875));
  for (let i = 0; i < o.cases; i++) {
    const created = at();
    const owner = clinician();
    const personId = `p-${i < people ? i : Math.floor(r() * people)}`;
    const caseId = `c-${i}`;
    yield {
      entity: 'case',
      id: caseId,
      fields: {
        personId,
        incidentId: null,
        incidentNumber: null,
        origin: 'live_call',
        reason: 'Follow-up',
        status: 'open',
        risk: 'unknown',
        ownerId: owner,
        ownerName: 'Clinician',
        dueAt: iso(created + 86_400_000),
        consent: null,
        safetyAlert: null,
        closedAt: null,
        closureReason: null,
        createdAt: iso(created),
        updatedAt: iso(created),
      },
    };
    const ev = (n: number, kind: string, body: Record<string, unknown>, t: number): RowWrite => ({
      entity: 'case_event',
      id: `e-${i}-${n}`,
      fields: { caseId, at: iso(t), kind, authorId: owner, authorName: 'Clinician', body, corrects: null },
    });
    const attempts = 1 + Math.floor(r() * 3);
    for (let a = 0; a < attempts; a++) yield ev(a, 'contact', { channel: 'phone', outcome: a === attempts - 1 && r() < 0.7 ? 'reached' : 'no_answer', note: null, nextDueAt: null }, created + (a + 1) * 3_600_000);
    if (r() < 0.4) yield ev(10, 'screening', { instrument: 'phq9', band: pick(BANDS), total: 0 }, created + 7_200_000);
    if (r() < 0.2) yield ev(11, 'screening', { instrument: 'cssrs', risk: pick(RISKS) }, created + 7_300_000);
    if (r() < 0.3) {
      yield ev(12, 'referral', { referralId: `r-${i}`, status: 'made' }, created + 8_000_000);
      if (r() < 0.5) yield ev(13, 'referral', { referralId: `r-${i}`, status: 'connected' }, created + 3 * 86_400_000);
    }
    const due = created + 86_400_000;
    const y = r();
    yield {
      entity: 'task',
      id: `t-${i}`,
      fields: { caseId, title: 'Call back', dueAt: iso(due), doneAt: y < 0.7 ? iso(due - 3_600_000) : y < 0.85 ? iso(due + 7_200_000) : null, assigneeId: owner, createdAt: iso(created) },
    };
  }
}

/** Writes rows straight into a console's store (a replica's state, not changes to send). */
export function writeToConsole(db: Db, rows: Iterable<RowWrite>): number {
  const statements = new Map<EntityName, { run(...params: unknown[]): unknown }>();
  let n = 0;
  db.transaction(() => {
    for (const row of rows) {
      let stmt = statements.get(row.entity);
      if (!stmt) {
        const fields = Object.keys(ENTITIES[row.entity].fields);
        stmt = db.prepare(`INSERT INTO ${ENTITIES[row.entity].table} (id, ${fields.join(', ')}, _clocks) VALUES (?, ${fields.map(() => '?').join(', ')}, ?)`);
        statements.set(row.entity, stmt);
      }
      const stored = toStored(row.entity, row.fields);
      const fields = Object.keys(ENTITIES[row.entity].fields);
      stmt.run(row.id, ...fields.map((f) => stored[f] ?? null), JSON.stringify({ '*': `${String(1).padStart(15, '0')}:000000:bench` }));
      n++;
    }
  })();
  return n;
}
