import type { QueueRow } from '../../shared/contract';
import type { CaseEvent } from '../../shared/entities';
import {
  CONTACT_CHANNEL_LABELS,
  CONTACT_OUTCOME_LABELS,
  REFERRAL_LABELS,
  type ContactChannel,
  type ContactOutcome,
  type ReferralState,
} from '../../shared/caseload';
import { cssrsQuestions, type CssrsQuestionId } from '../../shared/instruments';
import type { KeyHint, KeyLike } from '../logic/keys';
import type { Tone } from '../logic/tone';

/**
 * Pure logic of the caseload screens: the queue filter the UI applies as you type, due-time
 * wording, the timeline's labels, the C-SSRS branching walk and the key maps. No DOM, no
 * React: unit-tested in tests/unit/renderer.caseload.test.ts.
 */

// ---------------------------------------------------------------------------------------
// Queue filtering in the renderer (the core sorts; the UI narrows as each key is typed)

export type RiskFilter = 'any' | QueueRow['risk'];
export type OriginFilter = 'any' | QueueRow['origin'];

export interface LocalFilter {
  risk: RiskFilter;
  origin: OriginFilter;
  search: string;
}

/** ' word word … digits last7 last4 ': a query word matches where ' ' + word occurs. */
const indexCache = new WeakMap<QueueRow, { text: string; digits: string }>();

const ASCII = /^[\x20-\x7e]*$/;

function splitWords(text: string): string[] {
  // Most names and numbers are plain ASCII: skip Unicode normalization for them (10,000 rows per keystroke).
  if (ASCII.test(text)) return text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function rowIndex(row: QueueRow): { text: string; digits: string } {
  let ix = indexCache.get(row);
  if (!ix) {
    const d = (row.personPhone ?? '').replace(/\D/g, '');
    const digits = d ? ` ${d} ${d.slice(-7)} ${d.slice(-4)}` : '';
    ix = { text: ` ${[...splitWords(row.personName), ...splitWords(row.incidentNumber ?? '')].join(' ')}${digits}`, digits };
    indexCache.set(row, ix);
  }
  return ix;
}

/**
 * Same rule as the core's search (src/main/core/services/cases.ts): every word is a prefix
 * of a word of the name or incident number, or the digits typed start the phone number,
 * its last 7 or its last 4 digits. Compiled once per keystroke, then run on every row.
 */
export function searchPredicate(search: string): (row: QueueRow) => boolean {
  const words = splitWords(search);
  if (words.length === 0) return () => true;
  const digits = search.replace(/\D/g, '');
  const phoneLike = /^[\d\s\-().+/]+$/.test(search.trim()) && digits.length >= 3;
  const needles = words.map((w) => ` ${w}`);
  const digitNeedle = ` ${digits}`;
  return (row) => {
    const ix = rowIndex(row);
    if (needles.every((n) => ix.text.includes(n))) return true;
    return phoneLike && ix.digits.includes(digitNeedle);
  };
}

/** Builds the search index of rows ahead of the first keystroke. */
export function primeSearchIndex(rows: readonly QueueRow[]): void {
  for (const r of rows) rowIndex(r);
}

export function matchesSearch(row: QueueRow, search: string): boolean {
  return searchPredicate(search)(row);
}

/** Keeps the core's order. */
export function filterQueue(rows: readonly QueueRow[], f: LocalFilter): QueueRow[] {
  const search = f.search.trim();
  if (f.risk === 'any' && f.origin === 'any' && !search) return rows as QueueRow[];
  const match = search ? searchPredicate(search) : null;
  return rows.filter((r) => (f.risk === 'any' || r.risk === f.risk) && (f.origin === 'any' || r.origin === f.origin) && (!match || match(r)));
}

/**
 * Triage order for open follow-ups: the person most at risk first. Safety alerts (a PHQ-9
 * item 9 answer, a C-SSRS that needs review), then high risk, then overdue, then by due time
 * (none last), then by risk. Stable, so cases equal on all of these keep the core's order.
 * `now` is ms since the epoch.
 */
export function triageOrder(rows: readonly QueueRow[], now: number): QueueRow[] {
  const nowIso = new Date(now).toISOString();
  const RISK: Record<QueueRow['risk'], number> = { high: 0, moderate: 1, low: 2, unknown: 3 };
  const key = (r: QueueRow) => ({
    alert: r.safetyAlert ? 0 : 1,
    high: r.risk === 'high' ? 0 : 1,
    overdue: r.dueAt !== null && r.dueAt < nowIso ? 0 : 1,
    due: r.dueAt ?? '\uffff',
    risk: RISK[r.risk],
  });
  const keyed = rows.map((r, i) => ({ r, i, k: key(r) }));
  keyed.sort(
    (a, b) =>
      a.k.alert - b.k.alert ||
      a.k.high - b.k.high ||
      a.k.overdue - b.k.overdue ||
      (a.k.due < b.k.due ? -1 : a.k.due > b.k.due ? 1 : 0) ||
      a.k.risk - b.k.risk ||
      a.i - b.i,
  );
  return keyed.map((x) => x.r);
}

// ---------------------------------------------------------------------------------------
// Words

export const RISK_LABELS: Record<QueueRow['risk'], string> = { high: 'High risk', moderate: 'Moderate risk', low: 'Low risk', unknown: 'Risk unknown' };
export const RISK_TONES: Record<QueueRow['risk'], Tone> = { high: 'danger', moderate: 'warn', low: 'ok', unknown: 'muted' };
export const STATUS_LABELS: Record<QueueRow['status'], string> = { open: 'Open', waiting: 'Waiting', closed: 'Closed' };
export const ORIGIN_LABELS: Record<QueueRow['origin'], string> = {
  live_call: 'Live call',
  followup_request: 'Dispatch follow-up',
  referral_in: 'Referral in',
  walk_in: 'Walk-in',
  manual: 'Entered by hand',
};

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `3 h 20 min`, `2 d 4 h`, `45 min`. */
export function formatSpan(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `14:05` today, `Tue 14:05` within a week, else `12 Mar 14:05`. */
export function formatWhen(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const n = new Date(now);
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (d.toDateString() === n.toDateString()) return time;
  if (Math.abs(d.getTime() - now) < 6 * 24 * 3600_000) return `${WEEKDAYS[d.getDay()]} ${time}`;
  const month = d.toLocaleString('en', { month: 'short' });
  return `${d.getDate()} ${month}${d.getFullYear() !== n.getFullYear() ? ` ${d.getFullYear()}` : ''} ${time}`;
}

export interface DueView {
  text: string;
  tone: Tone;
  overdue: boolean;
}

/** Overdue in words anyone reads at a glance: "OVERDUE 5 h", "Due in 40 min", "Due Tue 14:00". */
export function describeDue(dueAt: string | null, now: number, closed = false): DueView {
  if (closed) return { text: 'Closed', tone: 'muted', overdue: false };
  if (!dueAt) return { text: 'No due time', tone: 'muted', overdue: false };
  const t = Date.parse(dueAt);
  if (Number.isNaN(t)) return { text: 'No due time', tone: 'muted', overdue: false };
  // Due this minute (a safety alert's next step): now, not "overdue 0 min".
  if (t <= now && now - t < 60_000) return { text: 'Due now', tone: 'danger', overdue: false };
  if (t < now) return { text: `OVERDUE ${formatSpan(now - t)}`, tone: 'danger', overdue: true };
  if (t - now < 2 * 3600_000) return { text: `Due in ${formatSpan(t - now)}`, tone: 'warn', overdue: false };
  return { text: `Due ${formatWhen(dueAt, now)}`, tone: 'neutral', overdue: false };
}

// ---------------------------------------------------------------------------------------
// Timeline

export interface EventView {
  label: string;
  tone: Tone;
  /** One or two lines of what happened. */
  lines: string[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

function changeLines(changes: Record<string, { from?: unknown; to?: unknown }>): string[] {
  const names: Record<string, string> = { risk: 'Risk', status: 'Status', ownerId: 'Owner', dueAt: 'Due', safetyAlert: 'Safety alert' };
  return Object.entries(changes).map(([k, v]) => {
    const show = (x: unknown) => (x === null || x === undefined || x === '' ? 'none' : k === 'dueAt' ? formatWhen(str(x), Date.now()) : str(x));
    if (k === 'safetyAlert' && (v.to === null || v.to === undefined)) return 'Safety alert cleared';
    return `${names[k] ?? k}: ${show(v.from)} → ${show(v.to)}`;
  });
}

export function describeEvent(e: CaseEvent): EventView {
  const b = e.body as Record<string, unknown>;
  switch (e.kind) {
    case 'note':
      return { label: 'Note', tone: 'neutral', lines: [str(b.text)] };
    case 'contact': {
      const outcome = str(b.outcome) as ContactOutcome;
      const channel = str(b.channel) as ContactChannel;
      return {
        label: `Contact · ${CONTACT_CHANNEL_LABELS[channel] ?? channel}`,
        tone: outcome === 'reached' ? 'ok' : 'warn',
        lines: [CONTACT_OUTCOME_LABELS[outcome] ?? outcome, str(b.note)].filter(Boolean),
      };
    }
    case 'screening': {
      const next = (b.nextStep as { text?: string } | undefined)?.text ?? '';
      if (b.instrument === 'phq9') {
        const alert = b.item9Alert === true;
        return {
          label: 'Screening · PHQ-9',
          tone: alert || b.band === 'severe' || b.band === 'moderately severe' ? 'danger' : 'info',
          lines: [`Score ${str(b.total)} of 27 — ${str(b.band)}${alert ? ' — ITEM 9 POSITIVE' : ''}`, next].filter(Boolean),
        };
      }
      const risk = str(b.risk);
      return {
        label: 'Screening · C-SSRS',
        tone: risk === 'high' ? 'danger' : risk === 'moderate' ? 'warn' : 'info',
        lines: [`Risk: ${risk}`, next].filter(Boolean),
      };
    }
    case 'referral': {
      const status = str(b.status) as ReferralState;
      return {
        label: 'Referral',
        tone: status === 'connected' ? 'ok' : status === 'declined' || status === 'unreachable' ? 'warn' : 'info',
        lines: [`${str(b.serviceName)}: ${REFERRAL_LABELS[status] ?? status}`, str(b.note)].filter(Boolean),
      };
    }
    case 'task':
      return { label: b.action === 'completed' ? 'Task done' : 'Task added', tone: 'neutral', lines: [str(b.title)] };
    case 'consent':
      return {
        label: 'Consent',
        tone: b.given ? 'ok' : 'warn',
        lines: [`${b.given ? 'May share' : 'May NOT share'} with ${str(b.shareWith)}: ${str(b.scope)}`],
      };
    case 'status': {
      const changes = (b.changes ?? {}) as Record<string, { from?: unknown; to?: unknown }>;
      const closed = changes.status?.to === 'closed';
      return {
        label: closed ? 'Case closed' : 'Case changed',
        tone: closed ? 'muted' : 'neutral',
        lines: [...(closed ? [`Reason: ${str(b.reason)}`] : changeLines(changes)), str(b.note)].filter(Boolean),
      };
    }
    case 'handoff':
      return { label: 'Live handoff', tone: 'info', lines: [`Conferenced by ${str(b.requestedBy)}${b.outcome ? ` · ${str(b.outcome).replace(/_/g, ' ')}` : ''}`] };
    case 'correction':
      return { label: 'Correction', tone: 'warn', lines: [str(b.text)] };
    case 'transfer':
      return { label: 'Crisis-line transfer', tone: 'info', lines: [`${str(b.lineName)} at ${formatWhen(str(b.transferredAt), Date.now())}`] };
    case 'safety_plan':
      return { label: `Safety plan · version ${str(b.version)}`, tone: 'ok', lines: [`Warning signs: ${Array.isArray(b.warningSigns) ? b.warningSigns.join('; ') : ''}`] };
  }
  return { label: e.kind, tone: 'neutral', lines: [] };
}

/** Newest first, each with the corrections that point at it. */
export function timelineView(events: readonly CaseEvent[]): { event: CaseEvent; correctedBy: CaseEvent[] }[] {
  const by = new Map<string, CaseEvent[]>();
  for (const e of events) if (e.corrects) by.set(e.corrects, [...(by.get(e.corrects) ?? []), e]);
  return [...events].reverse().map((event) => ({ event, correctedBy: by.get(event.id) ?? [] }));
}

// ---------------------------------------------------------------------------------------
// C-SSRS walk: which questions are asked, given the answers so far

export type CssrsDraft = Partial<Record<CssrsQuestionId, boolean>>;

/** The questions asked on this branch, in order (Q3–5 only after a yes to Q2, 6b after a yes to 6). */
export function cssrsAsked(answers: CssrsDraft): CssrsQuestionId[] {
  const asked: CssrsQuestionId[] = [];
  for (const q of cssrsQuestions) {
    if (!q.askIf || answers[q.askIf.question] === q.askIf.equals) asked.push(q.id);
  }
  return asked;
}

/** Answers of questions no longer asked are dropped (after changing Q2 from yes to no). */
export function cssrsPrune(answers: CssrsDraft): CssrsDraft {
  const asked = new Set(cssrsAsked(answers));
  const out: CssrsDraft = {};
  for (const [k, v] of Object.entries(answers) as [CssrsQuestionId, boolean][]) if (asked.has(k)) out[k] = v;
  // Pruning can hide more questions (6 → 6b): repeat until stable.
  return Object.keys(out).length === Object.keys(answers).length ? out : cssrsPrune(out);
}

/** Index of the first unanswered question, or -1 when all asked questions are answered. */
export function cssrsNext(answers: CssrsDraft): number {
  const asked = cssrsAsked(answers);
  return asked.findIndex((id) => answers[id] === undefined);
}

// ---------------------------------------------------------------------------------------
// Keys

function plain(e: KeyLike): boolean {
  return !(e.ctrlKey || e.altKey || e.metaKey);
}

export type QueueAction = 'next' | 'prev' | 'first' | 'last' | 'open' | 'search' | 'directory' | 'mine';

export function queueAction(e: KeyLike, ctx: { typing: boolean; focusActivatable: boolean }): QueueAction | null {
  if (!plain(e)) return null;
  if (ctx.typing) {
    // From the search box, arrows and Enter still work the list.
    if (e.key === 'ArrowDown') return 'next';
    if (e.key === 'ArrowUp') return 'prev';
    if (e.key === 'Enter') return 'open';
    return null;
  }
  switch (e.key) {
    case 'ArrowDown':
    case 'j':
    case 'J':
      return 'next';
    case 'ArrowUp':
    case 'k':
    case 'K':
      return 'prev';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case 'Enter':
      return ctx.focusActivatable ? null : 'open';
    case '/':
      return 'search';
    case 'd':
    case 'D':
      return 'directory';
    case 'm':
    case 'M':
      return 'mine';
  }
  return null;
}

export type RecordAction = 'back' | 'contact' | 'screening' | 'refer' | 'note' | 'task' | 'close' | 'consent';

export function recordAction(e: KeyLike, ctx: { typing: boolean; formOpen: boolean }): RecordAction | null {
  if (!plain(e) || e.repeat) return null;
  if (e.key === 'Escape') return ctx.formOpen ? null : 'back';
  if (ctx.typing || ctx.formOpen) return null;
  const map: Record<string, RecordAction> = { c: 'contact', s: 'screening', r: 'refer', n: 'note', t: 'task', x: 'close', o: 'consent' };
  return map[e.key.toLowerCase()] ?? null;
}

export const QUEUE_HINTS: readonly KeyHint[] = [
  { keys: ['J', 'K'], label: 'Select' },
  { keys: ['Enter'], label: 'Open' },
  { keys: ['/'], label: 'Search' },
  { keys: ['M'], label: 'Mine / all' },
  { keys: ['D'], label: 'Directory' },
];

export const RECORD_HINTS: readonly KeyHint[] = [
  { keys: ['C'], label: 'Contact' },
  { keys: ['S'], label: 'Screen' },
  { keys: ['R'], label: 'Refer' },
  { keys: ['N'], label: 'Note' },
  { keys: ['T'], label: 'Task' },
  { keys: ['X'], label: 'Close case' },
  { keys: ['Esc'], label: 'Queue' },
];

export const SCREENING_HINTS: readonly KeyHint[] = [
  { keys: ['0–3', 'Y', 'N'], label: 'Answer' },
  { keys: ['←'], label: 'Back' },
  { keys: ['Enter'], label: 'Save' },
  { keys: ['Esc'], label: 'Cancel' },
];

export const DIRECTORY_HINTS: readonly KeyHint[] = [
  { keys: ['/'], label: 'Search' },
  { keys: ['J', 'K'], label: 'Select' },
  { keys: ['Enter'], label: 'Refer' },
  { keys: ['Esc'], label: 'Back' },
];
