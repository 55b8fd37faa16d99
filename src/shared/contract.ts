import { z } from 'zod';
import { Role, type Capability } from './roles';
import {
  Incident,
  Handoff,
  HandoffMode,
  HandoffOutcome,
  IncidentStatus,
  Presence,
  PresenceStatus,
  Person,
  Case,
  CaseEvent,
  Referral,
  ReferralStatus,
  Task,
  CaseOrigin,
  CaseStatus,
  Risk,
  DirectorySuggestion,
  SuggestionField,
} from './entities';
import { CONTACT_CHANNELS, CONTACT_OUTCOMES } from './caseload';
import { ResourceService } from './directory/types';
import { ReportQuery, ReportSchema } from './report/measures';
import { AuditExport, AuditExportParams, AuditSearchParams, AuditSearchResponse } from './audit-search';
import { SafetyPlan } from './safety-plan';

/**
 * The one contract between the UI and the workstation core. Each request names its input
 * and output schema and the capability (shared/roles.ts) its caller needs; the core's router
 * checks both before any handler runs. Both transports (Electron IPC, the headless host's
 * WebSocket) carry exactly these requests and events.
 */
export const User = z.object({
  id: z.string(),
  username: z.string(),
  name: z.string(),
  role: Role,
  directLine: z.string().nullable(),
});
export type User = z.infer<typeof User>;

export const SyncStatus = z.object({
  /** `failing`: linked, but sync has not progressed for several attempts (`error` says why). */
  state: z.enum(['disabled', 'connecting', 'online', 'offline', 'error', 'failing']),
  offlineSince: z.string().nullable(),
  pending: z.number().int(),
  refused: z.number().int(),
  /** Pulled ops set aside because they failed their check (never applied; reported to the server). */
  quarantined: z.number().int().optional(),
  lastSyncedAt: z.string().nullable(),
  error: z.string().nullable(),
  serverUrl: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

/**
 * Who a live handoff (F9) would ring right now, as the sync server decides it: clinician
 * consoles connected, answering its heartbeat and with a window open. `known` is false while
 * this console cannot ask (no sync server, or the link is down): then nobody can say.
 */
export const LivePresence = z.object({
  known: z.boolean(),
  answerers: z.array(z.object({ id: z.string(), name: z.string() })),
});
export type LivePresence = z.infer<typeof LivePresence>;

export const SessionInfo = z.object({
  user: User.nullable(),
  workstation: z.string(),
  demo: z.boolean(),
  demoUsers: z.array(User),
  lockAfterMinutes: z.number(),
  /** Locked after inactivity: only the same user's password (or signing out) opens it. */
  locked: z.boolean(),
  /**
   * Phone numbers from machine policy, for when the console cannot do the job: the clinician's
   * direct line (offered to a dispatcher when a handoff cannot ring, times out or is declined)
   * and the dispatch floor's number (offered to a clinician whose console is offline).
   */
  lines: z.object({ clinician: z.string().nullable(), dispatchFloor: z.string().nullable() }).optional(),
  /** The ECC's priority codes (machine policy); a hand-entered incident's priority is one of them. */
  priorityCodes: z.array(z.string()).optional(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/** The longest each hand-entered incident field may be; the form shows these on its inputs. */
export const INCIDENT_LIMITS = { type: 200, location: 500, callbackNumber: 32, callerName: 200, priority: 40, notes: 8000 } as const;

/**
 * On a CAD (EIDO) incident, the fields CAD sends: only CAD intake changes them. The console
 * shows them read-only; the core and the sync server refuse a console's change to them.
 */
export const CAD_OWNED_INCIDENT_FIELDS = ['type', 'location', 'callbackNumber', 'callerName', 'priority'] as const;

/** The ECC's priority codes when machine policy names none. */
export const DEFAULT_PRIORITY_CODES: readonly string[] = ['1', '2', '3', '4'];

/**
 * A phone number as a call-taker types it: 7 to 15 digits (E.164's longest), an optional
 * leading +, spaces, dots, dashes and brackets between them, and an extension after "x" or
 * "ext". Letters, a lone area code or a 20-digit paste are refused.
 */
export function isPhoneNumber(s: string): boolean {
  const m = /^\s*(\+?[\d\s().-]+?)\s*(?:(?:x|ext\.?|extension)\s*(\d{1,6}))?\s*$/i.exec(s);
  if (!m) return false;
  const digits = m[1].replace(/\D/g, '');
  return digits.length >= 7 && digits.length <= 15 && /\d/.test(m[1][0] === '+' ? m[1].slice(1) : m[1]);
}

const tooLong = (what: string, max: number) => `${what} is too long: at most ${max} characters`;

export const NewIncident = z.object({
  type: z.string().trim().min(1, 'Type is required').max(INCIDENT_LIMITS.type, tooLong('Type', INCIDENT_LIMITS.type)),
  location: z.string().trim().min(1, 'Location is required').max(INCIDENT_LIMITS.location, tooLong('Location', INCIDENT_LIMITS.location)),
  callbackNumber: z
    .string()
    .trim()
    .max(INCIDENT_LIMITS.callbackNumber, tooLong('Callback number', INCIDENT_LIMITS.callbackNumber))
    .refine((v) => v === '' || isPhoneNumber(v), 'Callback number must be a phone number: 7 to 15 digits, with an extension after “x” if needed')
    .optional(),
  callerName: z.string().trim().max(INCIDENT_LIMITS.callerName, tooLong('Caller name', INCIDENT_LIMITS.callerName)).optional(),
  priority: z.string().trim().max(INCIDENT_LIMITS.priority, tooLong('Priority', INCIDENT_LIMITS.priority)).optional(),
  notes: z.string().max(INCIDENT_LIMITS.notes, tooLong('Notes', INCIDENT_LIMITS.notes)).optional(),
});
export type NewIncident = z.infer<typeof NewIncident>;

export const QueueFilter = z.object({
  scope: z.enum(['mine', 'all']).default('all'),
  risk: Risk.optional(),
  /** `active`: open or waiting. */
  status: z.enum([...CaseStatus.options, 'active']).default('active'),
  origin: CaseOrigin.optional(),
  search: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(20000).default(200),
});
export type QueueFilter = z.input<typeof QueueFilter>;

export const QueueRow = z.object({
  id: z.string(),
  personName: z.string(),
  personPhone: z.string().nullable(),
  reason: z.string(),
  risk: Risk,
  status: CaseStatus,
  origin: CaseOrigin,
  ownerName: z.string().nullable(),
  dueAt: z.string().nullable(),
  overdue: z.boolean(),
  incidentNumber: z.string().nullable(),
  safetyAlert: z.string().nullable(),
});
export type QueueRow = z.infer<typeof QueueRow>;

export const CaseRecord = z.object({
  case: Case,
  person: Person,
  timeline: z.array(CaseEvent),
  referrals: z.array(Referral),
  tasks: z.array(Task),
});
export type CaseRecord = z.infer<typeof CaseRecord>;

// ---------------------------------------------------------------------------------------
// Caseload: contact attempts, screenings, referrals, tasks, consent, corrections, closure

const caseRef = z.string().min(1).max(128);
const isoInput = z.string().datetime({ offset: true, message: 'A date and time (ISO 8601)' });

export const ContactChannel = z.enum(CONTACT_CHANNELS);
export const ContactOutcome = z.enum(CONTACT_OUTCOMES);

/** Answers as the instruments take them; their scoring refuses out-of-range answers and skipped branches. */
export const Instrument = z.enum(['phq9', 'cssrs']);
export const ScreeningInput = z.discriminatedUnion('instrument', [
  z.object({ caseId: caseRef, instrument: z.literal(Instrument.enum.phq9), answers: z.array(z.number()).max(20) }),
  z.object({
    caseId: caseRef,
    instrument: z.literal(Instrument.enum.cssrs),
    answers: z
      .object({
        wishDead: z.boolean().nullable().optional(),
        thoughts: z.boolean().nullable().optional(),
        method: z.boolean().nullable().optional(),
        intent: z.boolean().nullable().optional(),
        plan: z.boolean().nullable().optional(),
        behaviorEver: z.boolean().nullable().optional(),
        behaviorPast3Months: z.boolean().nullable().optional(),
      })
      .strict(),
  }),
]);
export type ScreeningInput = z.input<typeof ScreeningInput>;

export const NextStep = z.object({ urgency: z.enum(['routine', 'follow-up', 'prompt', 'immediate']), text: z.string() });
export const ScreeningOutcome = z.object({
  event: CaseEvent,
  case: Case,
  instrument: Instrument,
  total: z.number().int().nullable(),
  band: z.string().nullable(),
  item9Alert: z.boolean(),
  risk: z.enum(['none', 'low', 'moderate', 'high']).nullable(),
  nextStep: NextStep,
});
export type ScreeningOutcome = z.infer<typeof ScreeningOutcome>;

// ---------------------------------------------------------------------------------------
// Service directory

export const DirectoryQuery = z.object({
  text: z.string().max(200).optional(),
  /** A key of NEEDS (src/shared/directory) or words. */
  need: z.string().max(100).optional(),
  taxonomyTerm: z.string().max(200).optional(),
  language: z.string().max(64).optional(),
  age: z.number().int().min(0).max(130).optional(),
  openNow: z.boolean().optional(),
  includeInactive: z.boolean().optional(),
  limit: z.number().int().min(1).max(500).default(50),
});
export type DirectoryQuery = z.input<typeof DirectoryQuery>;

export const DirectoryFreshness = z.object({ label: z.string(), stale: z.boolean(), date: z.string().nullable() });
export const DirectoryHit = z.object({
  id: z.string(),
  name: z.string(),
  organizationName: z.string(),
  description: z.string(),
  status: z.string(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
  languages: z.array(z.string()),
  minimumAge: z.number().nullable(),
  maximumAge: z.number().nullable(),
  taxonomyTerms: z.array(z.string()),
  /** Open now: true, false, or null when its hours are unknown. */
  open: z.boolean().nullable(),
  freshness: DirectoryFreshness,
});
export type DirectoryHit = z.infer<typeof DirectoryHit>;

export const DirectoryEntry = z.object({
  service: ResourceService,
  open: z.boolean().nullable(),
  freshness: DirectoryFreshness,
});
export type DirectoryEntry = z.infer<typeof DirectoryEntry>;

export const DirectoryFacets = z.object({
  services: z.number().int(),
  languages: z.array(z.string()),
  taxonomyTerms: z.array(z.object({ id: z.string(), name: z.string(), code: z.string().nullable() })),
});
export type DirectoryFacets = z.infer<typeof DirectoryFacets>;

export const ImportProblem = z.object({ file: z.string(), line: z.number().int(), reason: z.string() });
const ReasonCount = z.object({ reason: z.string(), count: z.number().int(), lines: z.array(z.number().int()) });
/** One table of an HSDS import: rows read, imported (repaired ones included), repaired, rejected, ignored, and why. */
export const DirectoryTableSummary = z.object({
  table: z.string(),
  file: z.string(),
  read: z.number().int(),
  imported: z.number().int(),
  repaired: z.number().int(),
  rejected: z.number().int(),
  ignored: z.number().int(),
  rejections: z.array(ReasonCount),
  repairs: z.array(ReasonCount),
  ignoredBecause: z.array(ReasonCount),
});
export const DirectoryImportSummary = z.object({
  layout: z.string(),
  tables: z.array(DirectoryTableSummary),
  ignoredFiles: z.array(z.object({ file: z.string(), reason: z.string() })),
  notes: z.array(z.string()),
  services: z.object({
    imported: z.number().int(),
    withPhone: z.number().int(),
    withAddress: z.number().int(),
    withHours: z.number().int(),
    organizationUnknown: z.number().int(),
  }),
});
export type DirectoryImportSummary = z.infer<typeof DirectoryImportSummary>;
/** At most this many rejected rows and repairs travel in a report; the problems file has them all. */
export const IMPORT_PROBLEMS_SHOWN = 200;
export const DirectoryImportReport = z.object({
  dir: z.string(),
  /** Valid services in the package. */
  services: z.number().int(),
  added: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  /** The first IMPORT_PROBLEMS_SHOWN rejected rows, by file and line; `rejectedCount` counts them all. */
  rejected: z.array(ImportProblem),
  rejectedCount: z.number().int(),
  /** The first IMPORT_PROBLEMS_SHOWN repairs; `warningCount` counts them all. */
  warnings: z.array(ImportProblem),
  warningCount: z.number().int(),
  /** Services already in the directory that this package does not list (left as they are). */
  notInPackage: z.number().int(),
  /** Imported services with no opening hours: never "open now", shown as "hours unknown". */
  hoursUnknown: z.number().int(),
  /** Per table: read, imported, repaired, rejected, ignored, with the reasons counted. */
  summary: DirectoryImportSummary,
  /** Every problem (table, file, line, outcome, reason) as CSV on this workstation; null when there were none or it could not be written. */
  problemsFile: z.string().nullable(),
  /** How long the import took, ms. */
  ms: z.number(),
});
export type DirectoryImportReport = z.infer<typeof DirectoryImportReport>;

export const DirectoryImportProgress = z.object({
  dir: z.string(),
  stage: z.enum(['reading', 'parsing', 'writing', 'indexing', 'done', 'failed']),
  /** What is being done, for a person ("reading phones.csv", "writing 40,000 services"). */
  step: z.string(),
  done: z.number(),
  total: z.number(),
});
export type DirectoryImportProgress = z.infer<typeof DirectoryImportProgress>;

const ok = z.object({ ok: z.literal(true) });

/**
 * What the sync server asks of a sign-in whose password was right (two-step sign-in, TOTP): the
 * code from the authenticator app, or setting one up (its key as text and as a QR code, shown
 * once). Carried in the `unauthenticated` error's details; `wrong` when a code was typed and refused.
 */
export const MfaChallenge = z.union([
  z.object({ mfa: z.literal('code'), wrong: z.boolean().optional() }),
  z.object({ mfa: z.literal('setup'), secret: z.string().max(200), uri: z.string().max(2000), qrSvg: z.string().max(200_000), wrong: z.boolean().optional() }),
]);
export type MfaChallenge = z.infer<typeof MfaChallenge>;

/** A signed-in user; `recoveryCodes` once, when this sign-in set up two-step sign-in. */
export const SignedIn = User.extend({ recoveryCodes: z.array(z.string()).optional() });
export type SignedIn = z.infer<typeof SignedIn>;
const byId = z.object({ id: z.string().min(1) });
/** Requests that work before anyone has signed in. */
export const PUBLIC = null;

export interface RequestDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** What the signed-in caller must be allowed to do; PUBLIC (null): callable without signing in. */
  capability: Capability | typeof PUBLIC;
}

function req<I extends z.ZodType, O extends z.ZodType>(input: I, output: O, capability: Capability | typeof PUBLIC): RequestDef<I, O> {
  return { input, output, capability };
}

/** A warm transfer to 988 or another crisis line: which line, and when (now by default). */
export const CrisisTransfer = z.object({
  line: z.enum(['988', 'other']),
  /** The receiving line's name, for a line other than 988. */
  lineName: z.string().trim().max(200).optional(),
  /** When the transfer was made; now by default. */
  at: isoInput.optional(),
});
export type CrisisTransfer = z.infer<typeof CrisisTransfer>;

export const requests = {
  'session.get': req(z.object({}), SessionInfo, PUBLIC),
  'session.signIn': req(
    z.object({
      username: z.string().min(1).max(100),
      password: z.string().min(1).max(200),
      /** The second step, when the server asked for it (MfaChallenge): 6 digits, or a recovery code. */
      code: z.string().trim().max(40).optional(),
    }),
    SignedIn,
    PUBLIC,
  ),
  'session.demoSignIn': req(z.object({ role: Role }), User, PUBLIC),
  'session.signOut': req(z.object({}), ok, 'session.own'),
  'session.lock': req(z.object({}), ok, 'session.own'),
  /** The person at the console did something (key, pointer): the core's idle lock counts from here. */
  'session.activity': req(z.object({}), ok, 'session.own'),
  'session.unlock': req(z.object({ password: z.string().min(1, 'Enter your password').max(200) }), ok, 'session.own'),
  /** The link to the sync server now; later changes arrive as `sync.status` events. */
  'sync.status': req(z.object({}), SyncStatus, PUBLIC),

  'incident.list': req(z.object({ includeClosed: z.boolean().default(false) }), z.array(Incident), 'incident.read'),
  'incident.create': req(NewIncident, Incident, 'incident.write'),
  'incident.update': req(
    z.object({ id: z.string().min(1), patch: NewIncident.partial().extend({ status: IncidentStatus.optional() }) }),
    Incident,
    'incident.write',
  ),

  'handoff.request': req(
    z.object({ incidentId: z.string().min(1), mode: HandoffMode, note: z.string().max(2000).optional() }),
    Handoff,
    'handoff.request',
  ),
  'handoff.cancel': req(byId, Handoff, 'handoff.request'),
  'handoff.accept': req(byId, Handoff, 'handoff.answer'),
  'handoff.decline': req(z.object({ id: z.string().min(1), reason: z.string().trim().min(1, 'Give a reason').max(500) }), Handoff, 'handoff.answer'),
  'handoff.complete': req(
    z.object({
      id: z.string().min(1),
      outcome: HandoffOutcome,
      /** Private clinical notes: kept in the case, never sent to CAD. */
      notes: z.string().max(20000),
      personName: z.string().trim().max(200).optional(),
      /** What may be shared with dispatch/CAD: sent back with the outcome on a CAD (EIDO) incident. */
      shareableSummary: z.string().max(4000).optional(),
      /** The person was warm-transferred to 988 or another crisis line during the call: on the case's timeline, counted in the program figures. */
      transfer: CrisisTransfer.optional(),
    }),
    z.object({ handoff: Handoff, caseId: z.string() }),
    'handoff.answer',
  ),
  'handoff.list': req(z.object({ live: z.boolean().default(true) }), z.array(Handoff), 'handoff.read'),

  'presence.set': req(z.object({ status: PresenceStatus }), Presence, 'presence.set'),
  'presence.list': req(z.object({}), z.array(Presence), 'presence.read'),
  /** Who F9 would ring now; later changes arrive as `presence.live` events. */
  'presence.live': req(z.object({}), LivePresence, 'presence.read'),

  'case.queue': req(QueueFilter, z.object({ rows: z.array(QueueRow), total: z.number().int() }), 'clinical.read'),
  'case.get': req(byId, CaseRecord, 'clinical.read'),
  'case.create': req(
    z.object({
      person: z.object({
        name: z.string().trim().min(1, 'Name is required').max(200),
        dob: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Date of birth as YYYY-MM-DD').optional(),
        phones: z.array(z.string().max(64)).optional(),
        address: z.string().max(500).optional(),
        language: z.string().max(64).optional(),
      }),
      origin: CaseOrigin,
      reason: z.string().trim().min(1, 'Say why').max(2000),
      risk: Risk.default('unknown'),
      incidentId: z.string().optional(),
    }),
    Case,
    'clinical.write',
  ),
  'case.addNote': req(z.object({ caseId: z.string().min(1), text: z.string().trim().min(1, 'Note is empty').max(20000) }), CaseEvent, 'clinical.write'),
  'case.logContact': req(
    z.object({
      caseId: caseRef,
      channel: ContactChannel,
      outcome: ContactOutcome,
      note: z.string().max(20000).optional(),
      /** When to try again; by default from the outcome (see NEXT_FOLLOW_UP_HOURS). */
      nextDueAt: isoInput.nullable().optional(),
    }),
    CaseEvent,
    'clinical.write',
  ),
  'case.screening': req(ScreeningInput, ScreeningOutcome, 'clinical.write'),
  'case.refer': req(
    z.object({ caseId: caseRef, serviceId: z.string().min(1).max(128), note: z.string().max(2000).optional() }),
    Referral,
    'clinical.write',
  ),
  'referral.update': req(z.object({ id: z.string().min(1), status: ReferralStatus, note: z.string().max(2000).optional() }), Referral, 'clinical.write'),
  'case.addTask': req(
    z.object({ caseId: caseRef, title: z.string().trim().min(1, 'Say what to do').max(300), dueAt: isoInput.nullable().optional() }),
    Task,
    'clinical.write',
  ),
  'task.complete': req(byId, Task, 'clinical.write'),
  'case.setConsent': req(
    z.object({
      caseId: caseRef,
      shareWith: z.string().trim().min(1, 'Say with whom').max(200),
      scope: z.string().trim().min(1, 'Say what may be shared').max(500),
      given: z.boolean(),
    }),
    Case,
    'clinical.write',
  ),
  'case.correct': req(
    z.object({ caseId: caseRef, eventId: z.string().min(1).max(128), text: z.string().trim().min(1, 'Say what was wrong').max(20000) }),
    CaseEvent,
    'clinical.write',
  ),
  'case.update': req(
    z.object({
      caseId: caseRef,
      risk: Risk.optional(),
      /** Closing is case.close, with its reason. */
      status: CaseStatus.exclude(['closed']).optional(),
      /** null: nobody owns it. */
      ownerId: z.string().min(1).max(128).nullable().optional(),
      dueAt: isoInput.nullable().optional(),
      /** The clinician has dealt with the safety alert (a screening or review): take it off the case. */
      clearSafetyAlert: z.boolean().optional(),
      note: z.string().max(2000).optional(),
    }),
    Case,
    'clinical.write',
  ),
  /** A new version of the case's safety plan, on its timeline (offline too, as every case write). */
  'case.safetyPlan': req(z.object({ caseId: caseRef, plan: SafetyPlan }), CaseEvent, 'clinical.write'),
  /** A warm transfer to 988 or another crisis line, with the receiving line and the time. */
  'case.logTransfer': req(
    CrisisTransfer.extend({ caseId: caseRef }),
    CaseEvent,
    'clinical.write',
  ),
  'case.close': req(z.object({ caseId: caseRef, reason: z.string().trim().min(1, 'Give a reason for closing').max(500) }), Case, 'clinical.write'),

  'directory.search': req(DirectoryQuery, z.object({ rows: z.array(DirectoryHit), total: z.number().int(), size: z.number().int() }), 'directory.read'),
  'directory.get': req(byId, DirectoryEntry, 'directory.read'),
  'directory.facets': req(z.object({}), DirectoryFacets, 'directory.read'),
  'report.own': req(ReportQuery, ReportSchema, 'report.own'),
  'report.program': req(ReportQuery, ReportSchema, 'report.program'),
  /**
   * Issue 14, the supervisor's audit screen: one page of the ECC's audit log (the sync server's,
   * which holds every console's chain and its own), newest first; needs the sync server.
   */
  'audit.search': req(AuditSearchParams, AuditSearchResponse, 'audit.read'),
  /** Every entry the filter matches (newest first, at most AUDIT_EXPORT_MAX) as CSV; recorded as an export. */
  'audit.export': req(AuditExportParams, AuditExport, 'audit.read'),

  /** Issue 13: a correction to a directory entry, suggested for a directory manager (needs the sync server). */
  'directory.suggest': req(
    z.object({
      serviceId: z.string().min(1).max(128),
      field: SuggestionField,
      proposed: z.string().trim().min(1, 'Say what it should be').max(4000),
      reason: z.string().trim().max(1000),
    }),
    DirectorySuggestion,
    'directory.suggest',
  ),
  /** Suggestions this console holds, newest first: open ones, or all. */
  'directory.suggestions': req(z.object({ status: z.enum(['open', 'all']) }), z.array(DirectorySuggestion), 'directory.suggest'),
  'directory.suggestion.accept': req(z.object({ id: z.string().min(1).max(128) }), DirectorySuggestion, 'directory.manage'),
  'directory.suggestion.decline': req(
    z.object({ id: z.string().min(1).max(128), reason: z.string().trim().min(1, 'Say why it is declined').max(1000) }),
    DirectorySuggestion,
    'directory.manage',
  ),
  'directory.import': req(z.object({ dir: z.string().trim().min(1, 'Name the folder').max(1000) }), DirectoryImportReport, 'directory.manage'),
} satisfies Record<string, RequestDef>;

export type Requests = typeof requests;
export type RequestName = keyof Requests;
export type RequestInput<N extends RequestName> = z.input<Requests[N]['input']>;
export type RequestOutput<N extends RequestName> = z.infer<Requests[N]['output']>;

/** Everything the core pushes to the UI without being asked. */
export const events = {
  'sync.status': SyncStatus,
  /** Rows of these entities changed (locally or by sync): views showing them refresh. */
  'data.changed': z.object({ entities: z.array(z.string()) }),
  /** A live handoff is ringing this clinician's console. */
  'handoff.ringing': Handoff,
  'handoff.updated': Handoff,
  'session.changed': SessionInfo,
  /** A directory import under way on this console: which stage, and how far (done of total). */
  'directory.import.progress': DirectoryImportProgress,
  'presence.live': LivePresence,
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.infer<Events[N]>;

/** The error every transport returns; `code` says which kind. */
export const RpcErrorCode = z.enum([
  'bad_request',
  'unknown_request',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  /** Too many attempts (sign-in, unlock): `details.retryAfterMs` says when to try again, absent when only an administrator can unlock. */
  'rate_limited',
  'unavailable',
  'internal',
]);
export type RpcErrorCode = z.infer<typeof RpcErrorCode>;
export const RpcErrorShape = z.object({
  code: RpcErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type RpcErrorShape = z.infer<typeof RpcErrorShape>;

export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
  toJSON(): RpcErrorShape {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** The one object the renderer uses to reach the core, whatever carries it. */
export interface CoreClient {
  call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestOutput<N>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}
