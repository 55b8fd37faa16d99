/**
 * Numbered schema migrations. Each runs in its own transaction and bumps
 * `PRAGMA user_version`; a file written by a newer Tandem is refused rather than guessed at.
 * Never edit a migration that has shipped: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Columns every replicated table carries besides its fields. */
const REPLICATED = `_clocks TEXT NOT NULL DEFAULT '{}'`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial case store',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

      CREATE TABLE incident (
        id TEXT PRIMARY KEY, number TEXT, source TEXT, type TEXT, priority TEXT, status TEXT,
        location TEXT, callbackNumber TEXT, callerName TEXT, notes TEXT, cautions TEXT,
        eligibility TEXT, eidoRaw TEXT, eidoUpdatedAt TEXT, createdAt TEXT, createdBy TEXT,
        updatedAt TEXT, ${REPLICATED}) STRICT;
      CREATE TABLE handoff (
        id TEXT PRIMARY KEY, incidentId TEXT, mode TEXT, state TEXT, requestedBy TEXT,
        requestedByName TEXT, requestedAt TEXT, ringingAt TEXT, acceptedBy TEXT,
        acceptedByName TEXT, acceptedAt TEXT, endedAt TEXT, declines TEXT, outcome TEXT,
        caseId TEXT, note TEXT, ${REPLICATED}) STRICT;
      CREATE TABLE presence (
        id TEXT PRIMARY KEY, name TEXT, status TEXT, directLine TEXT, updatedAt TEXT,
        ${REPLICATED}) STRICT;
      CREATE TABLE person (
        id TEXT PRIMARY KEY, name TEXT, dob TEXT, phones TEXT, address TEXT, language TEXT,
        safetyFlags TEXT, createdAt TEXT, ${REPLICATED}) STRICT;
      CREATE TABLE case_file (
        id TEXT PRIMARY KEY, personId TEXT, incidentId TEXT, incidentNumber TEXT, origin TEXT,
        reason TEXT, status TEXT, risk TEXT, ownerId TEXT, ownerName TEXT, dueAt TEXT,
        consent TEXT, safetyAlert TEXT, closedAt TEXT, closureReason TEXT, createdAt TEXT,
        updatedAt TEXT, ${REPLICATED}) STRICT;
      CREATE TABLE case_event (
        id TEXT PRIMARY KEY, caseId TEXT, at TEXT, kind TEXT, authorId TEXT, authorName TEXT,
        body TEXT, corrects TEXT, ${REPLICATED}) STRICT;
      CREATE TABLE referral (
        id TEXT PRIMARY KEY, caseId TEXT, serviceId TEXT, serviceName TEXT, status TEXT,
        note TEXT, createdAt TEXT, updatedAt TEXT, ${REPLICATED}) STRICT;
      CREATE TABLE task (
        id TEXT PRIMARY KEY, caseId TEXT, title TEXT, dueAt TEXT, doneAt TEXT, assigneeId TEXT,
        createdAt TEXT, ${REPLICATED}) STRICT;
      CREATE TABLE resource_service (
        id TEXT PRIMARY KEY, name TEXT, record TEXT, contentHash TEXT, ${REPLICATED}) STRICT;

      -- Local changes not yet acknowledged by the server, in the order they were made.
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY, hlc TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL,
        fields TEXT NOT NULL) STRICT;
      -- Changes the server refused, kept so that nothing typed is lost and someone can act.
      CREATE TABLE outbox_refused (
        seq INTEGER PRIMARY KEY, hlc TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL,
        fields TEXT NOT NULL, reason TEXT NOT NULL, refusedAt TEXT NOT NULL) STRICT;

      CREATE TABLE audit (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, userId TEXT, workstation TEXT NOT NULL,
        action TEXT NOT NULL, entity TEXT, entityId TEXT, detail TEXT) STRICT;

      -- Users who signed in here online, so that they can sign in again while offline.
      CREATE TABLE user_cache (
        username TEXT PRIMARY KEY, id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
        directLine TEXT, passwordHash TEXT NOT NULL, updatedAt TEXT NOT NULL) STRICT;

      CREATE INDEX incident_status ON incident(status, createdAt);
      CREATE INDEX handoff_incident ON handoff(incidentId);
      CREATE INDEX case_event_case ON case_event(caseId, at);
    `,
  },
  {
    version: 2,
    name: 'caseload queue indexes and directory search',
    sql: `
      CREATE INDEX case_queue ON case_file(status, dueAt);
      CREATE INDEX case_owner ON case_file(ownerId, status, dueAt);
      CREATE INDEX case_person ON case_file(personId);
      CREATE INDEX referral_case ON referral(caseId);
      CREATE INDEX task_case ON task(caseId);
      CREATE VIRTUAL TABLE resource_search USING fts5(id UNINDEXED, body, tokenize = 'unicode61');
      CREATE VIRTUAL TABLE case_search USING fts5(id UNINDEXED, body, tokenize = 'unicode61');
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
