import { z } from 'zod';
import { may, type Capability, type Role } from './roles';
import { HandoffState } from './handoff-machine';

/**
 * Every replicated entity, described once. The local store, the sync server and the
 * role filter all read this table, so adding a field is a change in one place (plus a
 * migration). Rows are flat: JSON-valued fields hold arrays and small objects.
 */
const iso = z.string().datetime({ offset: true });
const id = z.string().min(1).max(128);
const text = (max = 2000) => z.string().max(max);

export const Caution = z.object({ text: text(500), severity: z.string().max(40).optional() });
export const Eligibility = z.object({
  eligible: z.boolean(),
  reasons: z.array(z.string()),
  exclusions: z.array(z.string()),
  /** Mentions set aside because they were negated ("no weapons seen"), with the words that decided. */
  ignored: z.array(z.string().max(500)).max(50).optional(),
});

export const IncidentSource = z.enum(['manual', 'eido']);
export const IncidentStatus = z.enum(['open', 'closed']);
export const Incident = z.object({
  id,
  number: text(64),
  source: IncidentSource,
  type: text(200),
  priority: text(40).nullable(),
  status: IncidentStatus,
  location: text(500),
  callbackNumber: text(64).nullable(),
  callerName: text(200).nullable(),
  notes: text(8000).nullable(),
  cautions: z.array(Caution).nullable(),
  eligibility: Eligibility.nullable(),
  eidoRaw: z.string().max(1_048_576).nullable(),
  eidoUpdatedAt: iso.nullable(),
  createdAt: iso,
  createdBy: text(200),
  updatedAt: iso,
});
export type Incident = z.infer<typeof Incident>;

export const HandoffDecline = z.object({ by: id, name: text(200), reason: text(500), at: iso });
export const HandoffOutcome = z.enum([
  'resolved_by_phone',
  'responders_needed',
  'transport',
  'referral',
  'follow_up_needed',
]);
export type HandoffOutcome = z.infer<typeof HandoffOutcome>;

/** Live: ring a clinician now. Follow-up: queue it for the caseload. */
export const HandoffMode = z.enum(['live', 'followup']);
export type HandoffMode = z.infer<typeof HandoffMode>;

export const Handoff = z.object({
  id,
  incidentId: id,
  mode: HandoffMode,
  state: HandoffState,
  requestedBy: id,
  requestedByName: text(200),
  requestedAt: iso,
  ringingAt: iso.nullable(),
  acceptedBy: id.nullable(),
  acceptedByName: text(200).nullable(),
  acceptedAt: iso.nullable(),
  endedAt: iso.nullable(),
  declines: z.array(HandoffDecline).nullable(),
  outcome: HandoffOutcome.nullable(),
  caseId: id.nullable(),
  note: text(2000).nullable(),
});
export type Handoff = z.infer<typeof Handoff>;

export const PresenceStatus = z.enum(['available', 'on_call', 'away', 'off_shift']);
export type PresenceStatus = z.infer<typeof PresenceStatus>;
export const Presence = z.object({
  id,
  name: text(200),
  status: PresenceStatus,
  directLine: text(64).nullable(),
  updatedAt: iso,
});
export type Presence = z.infer<typeof Presence>;

export const Person = z.object({
  id,
  name: text(200),
  dob: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
  phones: z.array(text(64)).nullable(),
  address: text(500).nullable(),
  language: text(64).nullable(),
  safetyFlags: z.array(text(200)).nullable(),
  createdAt: iso,
});
export type Person = z.infer<typeof Person>;

export const CaseOrigin = z.enum(['live_call', 'followup_request', 'referral_in', 'walk_in', 'manual']);
export const CaseStatus = z.enum(['open', 'waiting', 'closed']);
export const Risk = z.enum(['unknown', 'low', 'moderate', 'high']);
export const Consent = z.object({ shareWith: text(200), scope: text(500), given: z.boolean(), at: iso });
export const Case = z.object({
  id,
  personId: id,
  incidentId: id.nullable(),
  incidentNumber: text(64).nullable(),
  origin: CaseOrigin,
  reason: text(2000),
  status: CaseStatus,
  risk: Risk,
  ownerId: id.nullable(),
  ownerName: text(200).nullable(),
  dueAt: iso.nullable(),
  consent: z.array(Consent).nullable(),
  safetyAlert: text(500).nullable(),
  closedAt: iso.nullable(),
  closureReason: text(500).nullable(),
  createdAt: iso,
  updatedAt: iso,
});
export type Case = z.infer<typeof Case>;

export const CaseEventKind = z.enum([
  'note',
  'contact',
  'screening',
  'referral',
  'status',
  'task',
  'consent',
  'handoff',
  'correction',
  /** A version of the case's Stanley–Brown safety plan (shared/safety-plan.ts). */
  'safety_plan',
  /** The person was transferred to 988 or another crisis line: which line, and when. */
  'transfer',
]);
export const CaseEvent = z.object({
  id,
  caseId: id,
  at: iso,
  kind: CaseEventKind,
  authorId: id,
  authorName: text(200),
  body: z.record(z.string(), z.unknown()),
  corrects: id.nullable(),
});
export type CaseEvent = z.infer<typeof CaseEvent>;

export const ReferralStatus = z.enum(['made', 'accepted', 'connected', 'declined', 'unreachable']);
export const Referral = z.object({
  id,
  caseId: id,
  serviceId: id,
  serviceName: text(300),
  status: ReferralStatus,
  note: text(2000).nullable(),
  createdAt: iso,
  updatedAt: iso,
});
export type Referral = z.infer<typeof Referral>;

export const Task = z.object({
  id,
  caseId: id,
  title: text(300),
  dueAt: iso.nullable(),
  doneAt: iso.nullable(),
  assigneeId: id.nullable(),
  createdAt: iso,
});
export type Task = z.infer<typeof Task>;

/** The directory entry is kept whole as JSON; its searchable columns are derived locally. */
export const ResourceServiceRow = z.object({
  id,
  name: text(500),
  record: z.record(z.string(), z.unknown()),
  contentHash: text(128),
});
export type ResourceServiceRow = z.infer<typeof ResourceServiceRow>;

/**
 * A correction to one field of a directory entry, suggested by someone who may not change the
 * directory (a clinician) for a directory manager to accept (the server applies it, as its own
 * write) or decline with a reason. Written only by the server (`directory.suggest`,
 * `directory.suggestion.accept|decline`), which sets who suggested and who decided.
 */
export const SUGGESTION_FIELDS = ['phone', 'name', 'description', 'url', 'email', 'alert'] as const;
export const SuggestionField = z.enum(SUGGESTION_FIELDS);
export type SuggestionField = z.infer<typeof SuggestionField>;
export const SuggestionStatus = z.enum(['open', 'accepted', 'declined']);
export const DirectorySuggestion = z.object({
  id,
  serviceId: id,
  serviceName: text(500),
  field: SuggestionField,
  /** What the entry said when the suggestion was made. */
  current: text(4000).nullable(),
  proposed: text(4000),
  reason: text(1000),
  suggestedBy: id,
  suggestedByName: text(200),
  suggestedAt: iso,
  status: SuggestionStatus,
  decidedBy: id.nullable(),
  decidedByName: text(200).nullable(),
  decidedAt: iso.nullable(),
  declineReason: text(1000).nullable(),
});
export type DirectorySuggestion = z.infer<typeof DirectorySuggestion>;

export type FieldKind = 'text' | 'integer' | 'json';

export interface EntityDef {
  name: EntityName;
  table: string;
  schema: z.ZodObject<z.ZodRawShape>;
  /** Storage kind of each field other than `id`. */
  fields: Record<string, FieldKind>;
  /** Timeline rows are written once and never change; they never conflict. */
  appendOnly: boolean;
  /** Who may receive its rows: a replica signed in without it never holds one. */
  read: Capability;
  /** Who may push changes to it; null for rows only the server writes (handoff, presence). */
  write: Capability | null;
  /**
   * The sync server keeps the merged row because it reads it itself (handoff arbitration,
   * presence, CAD updates to incidents, directory imports). Every other entity lives on the
   * server only in its change log: consoles merge, the server orders and forwards — which
   * also keeps one fewer copy of clinical records on the server.
   */
  serverState: boolean;
  /**
   * Bulky fields a pull carries only to the roles holding the named capability (issue 13): the
   * others get the rest of the row, and a replica of theirs never holds the field. The server
   * still keeps it; `incident.document` hands one out on demand.
   */
  withheld?: Readonly<Record<string, Capability>>;
}

export const ENTITY_NAMES = [
  'incident',
  'handoff',
  'presence',
  'person',
  'case',
  'case_event',
  'referral',
  'task',
  'resource_service',
  'directory_suggestion',
] as const;
export const EntityName = z.enum(ENTITY_NAMES);
export type EntityName = z.infer<typeof EntityName>;

function fieldsOf(schema: z.ZodObject<z.ZodRawShape>, json: string[]): Record<string, FieldKind> {
  const out: Record<string, FieldKind> = {};
  for (const key of Object.keys(schema.shape)) {
    if (key !== 'id') out[key] = json.includes(key) ? 'json' : 'text';
  }
  return out;
}

export const ENTITIES: Record<EntityName, EntityDef> = {
  incident: {
    name: 'incident',
    table: 'incident',
    schema: Incident,
    fields: fieldsOf(Incident, ['cautions', 'eligibility']),
    appendOnly: false,
    serverState: true,
    withheld: { eidoRaw: 'incident.document' },
    read: 'incident.read',
    write: 'incident.write',
  },
  handoff: {
    name: 'handoff',
    table: 'handoff',
    schema: Handoff,
    fields: fieldsOf(Handoff, ['declines']),
    appendOnly: false,
    serverState: true,
    read: 'handoff.read',
    write: null,
  },
  presence: {
    name: 'presence',
    table: 'presence',
    schema: Presence,
    fields: fieldsOf(Presence, []),
    appendOnly: false,
    serverState: true,
    read: 'presence.read',
    write: null,
  },
  person: {
    name: 'person',
    table: 'person',
    schema: Person,
    fields: fieldsOf(Person, ['phones', 'safetyFlags']),
    appendOnly: false,
    serverState: false,
    read: 'clinical.read',
    write: 'clinical.write',
  },
  case: {
    name: 'case',
    table: 'case_file',
    schema: Case,
    fields: fieldsOf(Case, ['consent']),
    appendOnly: false,
    serverState: false,
    read: 'clinical.read',
    write: 'clinical.write',
  },
  case_event: {
    name: 'case_event',
    table: 'case_event',
    schema: CaseEvent,
    fields: fieldsOf(CaseEvent, ['body']),
    appendOnly: true,
    serverState: false,
    read: 'clinical.read',
    write: 'clinical.write',
  },
  referral: {
    name: 'referral',
    table: 'referral',
    schema: Referral,
    fields: fieldsOf(Referral, []),
    appendOnly: false,
    serverState: false,
    read: 'clinical.read',
    write: 'clinical.write',
  },
  task: {
    name: 'task',
    table: 'task',
    schema: Task,
    fields: fieldsOf(Task, []),
    appendOnly: false,
    serverState: false,
    read: 'clinical.read',
    write: 'clinical.write',
  },
  resource_service: {
    name: 'resource_service',
    table: 'resource_service',
    schema: ResourceServiceRow,
    fields: fieldsOf(ResourceServiceRow, ['record']),
    appendOnly: false,
    serverState: true,
    read: 'directory.read',
    write: 'directory.manage',
  },
  directory_suggestion: {
    name: 'directory_suggestion',
    table: 'directory_suggestion',
    schema: DirectorySuggestion,
    fields: fieldsOf(DirectorySuggestion, []),
    appendOnly: false,
    serverState: true,
    read: 'directory.suggest',
    write: null,
  },
};

/** May a replica signed in with `role` receive rows of this entity? */
export function roleMayReceive(role: Role, entity: EntityName): boolean {
  return may(role, ENTITIES[entity].read);
}

/** May a console signed in with `role` push changes to this entity? */
export function roleMayWrite(role: Role, entity: EntityName): boolean {
  const write = ENTITIES[entity].write;
  return write !== null && may(role, write);
}

/**
 * The fields of `entity` a replica signed in with `role` does not receive (see EntityDef.withheld).
 * Empty for nearly every entity and role.
 */
export function withheldFields(role: Role, entity: EntityName): string[] {
  const w = ENTITIES[entity].withheld;
  return w ? Object.keys(w).filter((f) => !may(role, w[f])) : [];
}

/**
 * What a replica signed in with `role` holds, as one sorted list: the entities it receives, and
 * `entity.field` for every field of them it receives only with a capability it has. A replica
 * compares it with the one it held before at every sign-in (ReplicaStore.adoptScope).
 */
export function replicaScope(role: Role): string[] {
  const out: string[] = [];
  for (const e of ENTITY_NAMES) {
    if (!roleMayReceive(role, e)) continue;
    out.push(e);
    const w = ENTITIES[e].withheld;
    if (w) for (const f of Object.keys(w)) if (may(role, w[f])) out.push(`${e}.${f}`);
  }
  return out.sort();
}
