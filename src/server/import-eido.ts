import fs from 'node:fs';
import {
  DEFAULT_MAX_BYTES,
  EidoError,
  describeProblem,
  eidoIncidentFields,
  eidoIncidentRowId,
  evaluateEligibility,
  readEido,
  type EidoProblem,
  type EligibilityResult,
  type EligibilityRules,
  type NormalizedEidoIncident,
  type NormalizedLocation,
} from '../shared/eido';
import type { Incident } from '../shared/entities';
import { CAD_KEY_HEADER } from './eido';

/**
 * `npm run server -- import-eido <file>`: what Tandem would make of a CAD's EIDO document
 * (or of a conveyance event holding several), without a server. Prints each normalized
 * incident with every repair Tandem made to read it (JSON with --json), or every problem
 * that refuses it. With --post it then sends the file to a running server's POST /eido.
 */
export type ImportResult =
  | { ok: true; document: string; incident: Incident; eligibility: EligibilityResult; normalized: NormalizedEidoIncident }
  | { ok: false; document: string; code: string; path: string | null; message: string; problems: EidoProblem[] };

export interface ImportReport {
  envelope: 'document' | 'conveyance';
  transactionId?: string;
  results: ImportResult[];
}

export interface ImportEidoOptions {
  maxBytes?: number;
  /** Refuse on any problem, even one Tandem would repair. */
  strict?: boolean;
}

export function importEidoFile(file: string, rules: EligibilityRules, opts: ImportEidoOptions = {}): ImportReport {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    if (size > maxBytes) throw new EidoError('oversize', `document is ${size} bytes; the limit is ${maxBytes}`);
    const read = readEido(decodeFile(file), { maxBytes, strict: opts.strict === true });
    const at = new Date().toISOString();
    const results = read.documents.map((d): ImportResult => {
      if (!d.ok) return refusal(d.error, d.path);
      const eligibility = evaluateEligibility(d.incident, rules);
      const fields = eidoIncidentFields(d.incident, eligibility, { receivedAt: at, receivedBy: `import-eido ${file}` }).create;
      return { ok: true, document: d.path, incident: { id: eidoIncidentRowId(d.incident.incidentId), ...fields }, eligibility, normalized: d.incident };
    });
    return { envelope: read.envelope, ...(read.transactionId ? { transactionId: read.transactionId } : {}), results };
  } catch (err) {
    if (err instanceof EidoError) return { envelope: 'document', results: [refusal(err, '')] };
    throw err;
  }
}

function decodeFile(file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file));
  } catch {
    throw new EidoError('not_json', 'the file is not UTF-8 text');
  }
}

function refusal(err: EidoError, document: string): ImportResult {
  return { ok: false, document, code: err.code, path: err.path ?? null, message: err.message, problems: [...err.problems] };
}

/** The --json output: per document, our incident row (the raw document replaced by its size) and the full normalization, or the refusal. */
export function importJson(report: ImportReport): unknown {
  const one = (r: ImportResult) => {
    if (!r.ok) return { rejected: { code: r.code, path: r.path, message: r.message, problemCount: r.problems.length, problems: r.problems } };
    const { eidoRaw, ...incident } = r.incident;
    const { raw: _raw, ...normalized } = r.normalized;
    return { incident: { ...incident, eidoRawBytes: Buffer.byteLength(eidoRaw ?? '', 'utf8') }, eligibility: r.eligibility, eido: normalized };
  };
  if (report.envelope === 'document' && report.results.length === 1) return one(report.results[0] as ImportResult);
  return {
    envelope: report.envelope,
    transactionId: report.transactionId ?? null,
    accepted: report.results.filter((r) => r.ok).length,
    refused: report.results.filter((r) => !r.ok).length,
    documents: report.results.map((r) => ({ document: r.document, ...(one(r) as object) })),
  };
}

/** What a person reads at a terminal: each document, accepted (with its repairs) or refused (with its problems). */
export function importText(report: ImportReport): { out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const several = report.envelope === 'conveyance';
  for (const r of report.results) {
    const head = several ? `Document ${r.document}: ` : '';
    if (r.ok) out.push(head + importSummary(r));
    else err.push(head + refusalText(r));
  }
  if (several) {
    const accepted = report.results.filter((r) => r.ok).length;
    out.push(`Conveyance event${report.transactionId ? ` ${report.transactionId}` : ''}: ${report.results.length} documents, ${accepted} accepted, ${report.results.length - accepted} refused`);
  }
  return { out: out.join('\n\n'), err: err.join('\n\n') };
}

/** A summary a person reads at a terminal. */
export function importSummary(r: Extract<ImportResult, { ok: true }>): string {
  const i = r.incident;
  const n = r.normalized;
  const e = r.eligibility;
  const dash = (v: string | null | undefined) => (v ? v : '—');
  const lines = [
    `Accepted${n.warnings.length ? ' with repairs' : ''}: EIDO ${n.incidentId}`,
    `  Tandem id:  ${i.id}`,
    `  Number:     ${i.number}`,
    `  Type:       ${i.type}`,
    `  Priority:   ${dash(i.priority)}`,
    `  Status:     ${i.status}${n.status.callState ? ` (call ${n.status.callState})` : ''}`,
    `  Location:   ${i.location}${n.location ? ` [${n.location.locationType ?? 'no type'}, ${n.location.kind}${n.location.civic && n.location.point ? ' + point' : ''}]` : ''}`,
    ...n.locations.filter((l) => l !== n.location).map((l) => `              also ${l.locationType ?? 'location'}: ${oneLine(l)}`),
    `  Callback:   ${dash(i.callbackNumber)}${n.callback.uris.length ? ` (${n.callback.uris.join(', ')})` : ''}`,
    `  Caller:     ${dash(i.callerName)}`,
    ...n.persons.map((p) => `  Person:     ${p.roles.join('/') || 'no role'}${p.name ? ` ${p.name}` : ''}${p.phones.length ? ` ☎ ${p.phones.join(', ')}` : ''}${p.language ? ` (${p.language})` : ''}`),
    `  Call:       ${n.callStart ? `started ${n.callStart}` : 'no call'}${n.callAnswer ? `, answered ${n.callAnswer}` : ''}`,
    `  Updated:    ${n.lastUpdated} by ${n.updatedBy.agencyId}${n.updatedBy.agentId ? ` / ${n.updatedBy.agentId}` : ''}`,
    `  Notes:      ${i.notes ? i.notes.split('\n').join('\n              ') : '—'}`,
    `  Cautions:   ${i.cautions?.length ? i.cautions.map((c) => `${c.severity ? `${c.severity}: ` : ''}${c.text}`).join('; ') : '—'}`,
    `  Clinician:  ${e.eligible ? 'could take this' : e.exclusions.length ? 'not for the clinician alone' : 'no behavioral-health indicators'}`,
    ...e.reasons.map((x) => `    + ${x}`),
    ...e.exclusions.map((x) => `    − ${x}`),
    ...e.ignored.map((x) => `    · ${x}`),
    `  Repairs:    ${n.warnings.length === 0 ? 'none' : `${n.warnings.length} (the document was read as described)`}`,
    ...n.warnings.map((w) => `    ~ ${describeProblem(w)}`),
  ];
  return lines.join('\n');
}

function oneLine(l: NormalizedLocation): string {
  if (l.civic) return l.civic.display;
  if (l.point) return `${l.point.lat}, ${l.point.lon}`;
  return l.referenceUrl ?? '';
}

/** The first line names the first problem (as before); then every problem, fatal ones marked ✗, repairable ones ~. */
export function refusalText(r: Extract<ImportResult, { ok: false }>): string {
  const fatal = r.problems.filter((p) => p.fatal).length;
  const lines = [`Rejected (${r.code}): ${r.message}`];
  if (r.problems.length > 1 || (r.problems[0] && !r.problems[0].fatal)) {
    lines.push(`  ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}: ${fatal} fatal, ${r.problems.length - fatal} Tandem could repair`);
    for (const p of r.problems) lines.push(`    ${p.fatal ? '✗' : '~'} ${describeProblem(p)}`);
  }
  return lines.join('\n');
}

/** POSTs the file to a server; returns the HTTP status and the answer's text. */
export async function postEidoFile(file: string, url: string, key: string, timeoutMs = 15_000): Promise<{ status: number; text: string }> {
  const target = /\/eido\/?$/.test(url) ? url : `${url.replace(/\/+$/, '')}/eido`;
  const res = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CAD_KEY_HEADER]: key },
    body: fs.readFileSync(file),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, text: await res.text() };
}
