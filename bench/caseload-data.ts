import crypto from 'node:crypto';
import type { Db } from '../src/main/core/store/open';

/**
 * Synthetic caseload for benchmarks and large-queue tests, written straight into the
 * store's tables (not through the outbox: this is a replica's state, not changes to send).
 * Deterministic for a given seed.
 */
const FIRST = ['Riley', 'Maria', 'Dev', 'Pat', 'Alex', 'Jordan', 'Sam', 'Chris', 'Taylor', 'Morgan', 'Jamie', 'Casey', 'Avery', 'Quinn', 'Rosa', 'Kwame', 'Mei', 'Omar', 'Lena', 'Ivan', 'Aisha', 'Diego', 'Hana', 'Tomas', 'Nia', 'Yusuf', 'Grace', 'Luis', 'Fatima', 'Ben'];
const LAST = ['Thompson', 'Gonzalez', 'Sharma', "O'Neil", 'Kim', 'Nguyen', 'Okafor', 'Patel', 'Reyes', 'Lee', 'Johnson', 'Garcia', 'Chen', 'Silva', 'Haddad', 'Novak', 'Mensah', 'Ivanova', 'Cohen', 'Murphy', 'Rossi', 'Tanaka', 'Dubois', 'Kowalski', 'Abebe', 'Hughes', 'Moreau', 'Santos', 'Yilmaz', 'Walsh'];
const REASONS = [
  'Call-back after crisis call: passive suicidal ideation',
  'Connect to outpatient counseling',
  'Repeated 911 calls for anxiety; short-term case management',
  'Housing insecurity, requested shelter referral',
  'Welfare check follow-up',
  'Substance use: wants detox information',
  'Family member asked for follow-up',
  'Post-discharge check-in',
];
const ORIGINS = ['live_call', 'followup_request', 'referral_in', 'walk_in', 'manual'] as const;
const RISKS = ['high', 'moderate', 'low', 'unknown'] as const;
const OWNERS: [string | null, string | null][] = [
  ['u-chris', 'Chris Okafor'],
  ['u-sam', 'Sam Patel'],
  [null, null],
];

export interface FillOptions {
  cases: number;
  /** Share of cases that are open or waiting (the rest are closed). */
  openShare: number;
  eventsPerCase: number;
  now: number;
  seed?: number;
}

/** Small fast PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fillQueue(db: Db, o: FillOptions): { caseIds: string[]; people: { name: string; phone: string; incident: string | null }[] } {
  const r = rng(o.seed ?? 42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const iso = (ms: number) => new Date(ms).toISOString();
  const prefix = crypto.randomBytes(3).toString('hex');
  const person = db.prepare('INSERT INTO person(id, name, dob, phones, address, language, safetyFlags, createdAt) VALUES (?, ?, NULL, ?, NULL, NULL, NULL, ?)');
  const kase = db.prepare(
    `INSERT INTO case_file(id, personId, incidentId, incidentNumber, origin, reason, status, risk, ownerId, ownerName, dueAt, consent,
                           safetyAlert, closedAt, closureReason, createdAt, updatedAt)
     VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)`,
  );
  const event = db.prepare(
    `INSERT INTO case_event(id, caseId, at, kind, authorId, authorName, body, corrects, _clocks) VALUES (?, ?, ?, ?, 'u-chris', 'Chris Okafor', ?, NULL, ?)`,
  );
  const caseIds: string[] = [];
  const people: { name: string; phone: string; incident: string | null }[] = [];
  db.transaction(() => {
    for (let i = 0; i < o.cases; i++) {
      const id = `case-${prefix}-${i}`;
      const pid = `per-${prefix}-${i}`;
      const name = `${pick(FIRST)} ${pick(LAST)}`;
      const phone = `617-${String(200 + Math.floor(r() * 800))}-${String(Math.floor(r() * 10000)).padStart(4, '0')}`;
      const created = o.now - Math.floor(r() * 90 * 24 * 3600_000);
      const open = r() < o.openShare;
      const status = open ? (r() < 0.85 ? 'open' : 'waiting') : 'closed';
      // Open cases: about a fifth overdue, the rest due within two weeks.
      const due = o.now + Math.floor((r() - 0.2) * 14 * 24 * 3600_000);
      const incident = r() < 0.6 ? `M${String(250000 + Math.floor(r() * 1000))}-${prefix.slice(0, 4)}-${String(i).padStart(5, '0')}` : null;
      const [ownerId, ownerName] = pick(OWNERS);
      person.run(pid, name, JSON.stringify([phone]), iso(created));
      kase.run(
        id,
        pid,
        incident,
        pick(ORIGINS),
        pick(REASONS),
        status,
        pick(RISKS),
        ownerId,
        ownerName,
        iso(due),
        open ? null : iso(created + 3 * 24 * 3600_000),
        open ? null : 'Needs met',
        iso(created),
        iso(created),
      );
      for (let e = 0; e < o.eventsPerCase; e++) {
        const at = created + e * 3600_000;
        const kind = e % 3 === 0 ? 'contact' : 'note';
        const body = kind === 'contact' ? { channel: 'phone', outcome: e % 2 ? 'no_answer' : 'reached', note: null } : { text: `Note ${e} on case ${i}` };
        const hlc = `${String(at).padStart(15, '0')}:000000:bench`;
        event.run(`evt-${prefix}-${i}-${e}`, id, iso(at), kind, JSON.stringify(body), JSON.stringify({ kind: hlc }));
      }
      caseIds.push(id);
      if (i % 97 === 0) people.push({ name, phone, incident });
    }
  })();
  return { caseIds, people };
}
