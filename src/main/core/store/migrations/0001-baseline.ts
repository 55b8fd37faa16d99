import type { Migration } from '../../../../node/migrate';

/**
 * The case store as it stood before its first release: migrations 1–7 of development folded
 * into one (tests/unit/store.baseline.test.ts proves it builds the same schema as that chain).
 */
export const baseline: Migration = {
  version: 1,
  name: 'baseline case store',
  sql: `
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

    -- The replicated tables: each row's fields, and _clocks, the HLC of each field's last
    -- write (last-writer-wins per field, shared/sync/merge.ts).
    CREATE TABLE incident (
      id TEXT PRIMARY KEY, number TEXT, source TEXT, type TEXT, priority TEXT, status TEXT,
      location TEXT, callbackNumber TEXT, callerName TEXT, notes TEXT, cautions TEXT,
      eligibility TEXT, eidoRaw TEXT, eidoUpdatedAt TEXT, createdAt TEXT, createdBy TEXT,
      updatedAt TEXT, _clocks TEXT NOT NULL DEFAULT '{}') STRICT;
    CREATE TABLE handoff (
      id TEXT PRIMARY KEY, incidentId TEXT, mode TEXT, state TEXT, requestedBy TEXT,
      requestedByName TEXT, requestedAt TEXT, ringingAt TEXT, acceptedBy TEXT,
      acceptedByName TEXT, acceptedAt TEXT, endedAt TEXT, declines TEXT, outcome TEXT,
      caseId TEXT, note TEXT, _clocks TEXT NOT NULL DEFAULT '{}') STRICT;
    CREATE TABLE presence (
      id TEXT PRIMARY KEY, name TEXT, status TEXT, directLine TEXT, updatedAt TEXT,
      _clocks TEXT NOT NULL DEFAULT '{}') STRICT;
    CREATE TABLE person (
      id TEXT PRIMARY KEY, name TEXT, dob TEXT, phones TEXT, address TEXT, language TEXT,
      safetyFlags TEXT, createdAt TEXT, _clocks TEXT NOT NULL DEFAULT '{}') STRICT;
    -- qActive, qDue and qRisk: local, derived columns for the follow-up queue. Generated
    -- (never written), so the replica store, which writes entity fields only, never sees them
    -- and they never sync. qDue sorts cases without a due time last; dueAt is always UTC ISO.
    CREATE TABLE case_file (
      id TEXT PRIMARY KEY, personId TEXT, incidentId TEXT, incidentNumber TEXT, origin TEXT,
      reason TEXT, status TEXT, risk TEXT, ownerId TEXT, ownerName TEXT, dueAt TEXT,
      consent TEXT, safetyAlert TEXT, closedAt TEXT, closureReason TEXT, createdAt TEXT,
      updatedAt TEXT, _clocks TEXT NOT NULL DEFAULT '{}',
      qActive INTEGER GENERATED ALWAYS AS (CASE WHEN status IN ('open', 'waiting') THEN 1 ELSE 0 END) VIRTUAL,
      qDue TEXT GENERATED ALWAYS AS (coalesce(dueAt, '9999-12-31T23:59:59.999Z')) VIRTUAL,
      qRisk INTEGER GENERATED ALWAYS AS (CASE risk WHEN 'high' THEN 0 WHEN 'moderate' THEN 1 WHEN 'low' THEN 2 ELSE 3 END) VIRTUAL) STRICT;
    CREATE TABLE case_event (
      id TEXT PRIMARY KEY, caseId TEXT, at TEXT, kind TEXT, authorId TEXT, authorName TEXT,
      body TEXT, corrects TEXT, _clocks TEXT NOT NULL DEFAULT '{}') STRICT;
    CREATE TABLE referral (
      id TEXT PRIMARY KEY, caseId TEXT, serviceId TEXT, serviceName TEXT, status TEXT,
      note TEXT, createdAt TEXT, updatedAt TEXT, _clocks TEXT NOT NULL DEFAULT '{}') STRICT;
    CREATE TABLE task (
      id TEXT PRIMARY KEY, caseId TEXT, title TEXT, dueAt TEXT, doneAt TEXT, assigneeId TEXT,
      createdAt TEXT, _clocks TEXT NOT NULL DEFAULT '{}') STRICT;
    CREATE TABLE resource_service (
      id TEXT PRIMARY KEY, name TEXT, record TEXT, contentHash TEXT, _clocks TEXT NOT NULL DEFAULT '{}') STRICT;

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
    CREATE INDEX case_event_corrects ON case_event(corrects) WHERE corrects IS NOT NULL;
    CREATE INDEX case_person ON case_file(personId);
    CREATE INDEX referral_case ON referral(caseId);
    CREATE INDEX task_case ON task(caseId);
    -- One index per queue filter, each ending in the queue order, so "top 200" walks an
    -- index and stops instead of sorting every open case.
    CREATE INDEX case_q_active ON case_file(qActive, qDue, qRisk);
    CREATE INDEX case_q_status ON case_file(status, qDue, qRisk);
    CREATE INDEX case_q_owner ON case_file(ownerId, qActive, qDue, qRisk);
    CREATE INDEX case_q_owner_status ON case_file(ownerId, status, qDue, qRisk);
    CREATE INDEX case_q_risk ON case_file(risk, qActive, qDue);
    CREATE INDEX case_q_origin ON case_file(origin, qActive, qDue, qRisk);
    CREATE INDEX case_closed ON case_file(status, closedAt);

    -- Search indexes, keyed by a stable integer per row (VACUUM may renumber the rowids of
    -- the entity tables, never these). A search finds its cases in the FTS index (a common
    -- surname prefix: thousands) and filters and orders them by the copies of the queue keys
    -- kept beside each document, read by integer docid, instead of seeking each case by its
    -- text id.
    CREATE TABLE case_search_doc (
      docid INTEGER PRIMARY KEY, caseId TEXT NOT NULL UNIQUE,
      status TEXT, ownerId TEXT, risk TEXT, origin TEXT, dueAt TEXT, closedAt TEXT) STRICT;
    CREATE TABLE resource_search_doc (docid INTEGER PRIMARY KEY, serviceId TEXT NOT NULL UNIQUE) STRICT;
    CREATE VIRTUAL TABLE case_search USING fts5(body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
    CREATE VIRTUAL TABLE resource_search USING fts5(body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
    -- Cases whose search text must be (re)written. The triggers only note them; the store
    -- writes the text for all of them in one statement before each write transaction commits
    -- and before a search (store/search-index.ts): written row by row, FTS5 flushed its terms
    -- into a new segment at every row's statement and kept merging them (7.5 % of the
    -- instructions of applying a first sync, valgrind).
    CREATE TABLE case_search_pending (caseId TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;

    -- What a case is found by: the person's name, every phone (all digits, the last 7 and the
    -- last 4, so "555-0150" and "0150" both find 617-555-0150) and the incident number, also
    -- without separators ("24-123456" as 24123456, so a number typed with or without dashes is
    -- one prefix lookup, not an AND of short, common prefixes: "617" starts every local number).
    CREATE VIEW case_search_source AS
      SELECT c.id AS caseId,
        coalesce(p.name, '') || ' ' || coalesce(c.incidentNumber, '') || ' ' ||
        coalesce(lower(replace(replace(replace(replace(c.incidentNumber, '-', ''), ' ', ''), '/', ''), '.', '')), '') || ' ' || coalesce((
          SELECT group_concat(d || ' ' || substr(d, -7) || ' ' || substr(d, -4), ' ')
          FROM (SELECT replace(replace(replace(replace(replace(replace(replace(j.value, '-', ''), ' ', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', '') AS d
                FROM json_each(CASE WHEN json_valid(p.phones) THEN p.phones ELSE '[]' END) j
                WHERE j.type = 'text')
        ), '') AS body
      FROM case_file c LEFT JOIN person p ON p.id = c.personId;

    -- What a directory entry is found by: every field the shared reference search reads.
    CREATE VIEW resource_search_source AS
      SELECT r.id AS serviceId,
        CASE WHEN json_valid(r.record) THEN concat_ws(' ',
          r.record ->> '$.name', r.record ->> '$.alternateName', r.record ->> '$.organizationName',
          r.record ->> '$.description', r.record ->> '$.eligibilityDescription', r.record ->> '$.interpretationServices',
          (SELECT group_concat(concat_ws(' ', t.value ->> '$.name', t.value ->> '$.code'), ' ') FROM json_each(r.record, '$.taxonomyTerms') t),
          (SELECT group_concat(concat_ws(' ', l.value ->> '$.name', l.value ->> '$.address'), ' ') FROM json_each(r.record, '$.locations') l)
        ) ELSE coalesce(r.name, '') END AS body
      FROM resource_service r;

    -- Kept in step by triggers, so every path that changes a row (a local write, a pull from
    -- the sync server, a repair) keeps the indexes right without remembering to. (The
    -- directory's triggers test NOT EXISTS rather than INSERT OR IGNORE: a conflict clause on
    -- the statement that fires a trigger overrides the trigger's own.)
    CREATE TRIGGER case_search_insert AFTER INSERT ON case_file BEGIN
      INSERT INTO case_search_doc(caseId, status, ownerId, risk, origin, dueAt, closedAt)
        VALUES (new.id, new.status, new.ownerId, new.risk, new.origin, new.dueAt, new.closedAt)
        ON CONFLICT(caseId) DO UPDATE SET status = excluded.status, ownerId = excluded.ownerId, risk = excluded.risk,
          origin = excluded.origin, dueAt = excluded.dueAt, closedAt = excluded.closedAt;
      INSERT OR IGNORE INTO case_search_pending(caseId) VALUES (new.id);
    END;
    CREATE TRIGGER case_search_update AFTER UPDATE OF personId, incidentNumber ON case_file
      WHEN old.personId IS NOT new.personId OR old.incidentNumber IS NOT new.incidentNumber BEGIN
      INSERT OR IGNORE INTO case_search_pending(caseId) VALUES (new.id);
    END;
    CREATE TRIGGER case_search_keys AFTER UPDATE OF status, ownerId, risk, origin, dueAt, closedAt ON case_file BEGIN
      UPDATE case_search_doc SET status = new.status, ownerId = new.ownerId, risk = new.risk, origin = new.origin,
        dueAt = new.dueAt, closedAt = new.closedAt WHERE caseId = new.id;
    END;
    CREATE TRIGGER case_search_delete AFTER DELETE ON case_file BEGIN
      DELETE FROM case_search WHERE rowid = (SELECT docid FROM case_search_doc WHERE caseId = old.id);
      DELETE FROM case_search_doc WHERE caseId = old.id;
      DELETE FROM case_search_pending WHERE caseId = old.id;
    END;
    -- A person can arrive (by sync) after their case, or be renamed: re-index their cases.
    CREATE TRIGGER case_search_person_insert AFTER INSERT ON person BEGIN
      INSERT OR IGNORE INTO case_search_pending(caseId) SELECT id FROM case_file WHERE personId = new.id;
    END;
    CREATE TRIGGER case_search_person_update AFTER UPDATE OF name, phones ON person
      WHEN old.name IS NOT new.name OR old.phones IS NOT new.phones BEGIN
      INSERT OR IGNORE INTO case_search_pending(caseId) SELECT id FROM case_file WHERE personId = new.id;
    END;

    CREATE TRIGGER resource_search_insert AFTER INSERT ON resource_service BEGIN
      INSERT INTO resource_search_doc(serviceId) SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM resource_search_doc WHERE serviceId = new.id);
      DELETE FROM resource_search WHERE rowid = (SELECT docid FROM resource_search_doc WHERE serviceId = new.id);
      INSERT INTO resource_search(rowid, body)
        SELECT d.docid, s.body FROM resource_search_source s JOIN resource_search_doc d ON d.serviceId = s.serviceId WHERE s.serviceId = new.id;
    END;
    CREATE TRIGGER resource_search_update AFTER UPDATE OF name, record ON resource_service
      WHEN old.name IS NOT new.name OR old.record IS NOT new.record BEGIN
      INSERT INTO resource_search_doc(serviceId) SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM resource_search_doc WHERE serviceId = new.id);
      DELETE FROM resource_search WHERE rowid = (SELECT docid FROM resource_search_doc WHERE serviceId = new.id);
      INSERT INTO resource_search(rowid, body)
        SELECT d.docid, s.body FROM resource_search_source s JOIN resource_search_doc d ON d.serviceId = s.serviceId WHERE s.serviceId = new.id;
    END;
    CREATE TRIGGER resource_search_delete AFTER DELETE ON resource_service BEGIN
      DELETE FROM resource_search WHERE rowid = (SELECT docid FROM resource_search_doc WHERE serviceId = old.id);
      DELETE FROM resource_search_doc WHERE serviceId = old.id;
    END;
  `,
};
