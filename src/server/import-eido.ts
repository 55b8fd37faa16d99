import fs from 'node:fs';
import {
  DEFAULT_MAX_BYTES,
  EidoError,
  eidoIncidentFields,
  eidoIncidentRowId,
  evaluateEligibility,
  parseEido,
  type EligibilityResult,
  type EligibilityRules,
  type NormalizedEidoIncident,
} from '../shared/eido';
import type { Incident } from '../shared/entities';
import { CAD_KEY_HEADER } from './eido';

/**
 * `npm run server -- import-eido <file>`: what Tandem would make of a CAD's EIDO document,
 * without a server. Prints the normalized incident (JSON with --json), or the reason it is
 * refused. With --post it then sends the file to a running server's POST /eido.
 */
export type ImportResult =
  | { ok: true; incident: Incident; eligibility: EligibilityResult; normalized: NormalizedEidoIncident }
  | { ok: false; code: string; path: string | null; message: string };

export function importEidoFile(file: string, rules: EligibilityRules, maxBytes = DEFAULT_MAX_BYTES): ImportResult {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    if (size > maxBytes) throw new EidoError('oversize', `document is ${size} bytes; the limit is ${maxBytes}`);
    const buf = fs.readFileSync(file);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw new EidoError('not_json', 'the file is not UTF-8 text');
    }
    const normalized = parseEido(text, { maxBytes });
    const eligibility = evaluateEligibility(normalized, rules);
    const at = new Date().toISOString();
    const fields = eidoIncidentFields(normalized, eligibility, { receivedAt: at, receivedBy: `import-eido ${file}` }).create;
    return { ok: true, incident: { id: eidoIncidentRowId(normalized.incidentId), ...fields }, eligibility, normalized };
  } catch (err) {
    if (err instanceof EidoError) return { ok: false, code: err.code, path: err.path ?? null, message: err.message };
    throw err;
  }
}

/** The --json output: our incident row (the raw document replaced by its size) and the full normalization. */
export function importJson(r: Extract<ImportResult, { ok: true }>): unknown {
  const { eidoRaw, ...incident } = r.incident;
  const { raw: _raw, ...normalized } = r.normalized;
  return { incident: { ...incident, eidoRawBytes: Buffer.byteLength(eidoRaw ?? '', 'utf8') }, eligibility: r.eligibility, eido: normalized };
}

/** A summary a person reads at a terminal. */
export function importSummary(r: Extract<ImportResult, { ok: true }>): string {
  const i = r.incident;
  const n = r.normalized;
  const e = r.eligibility;
  const dash = (v: string | null | undefined) => (v ? v : '—');
  const lines = [
    `Accepted: EIDO ${n.incidentId}`,
    `  Tandem id:  ${i.id}`,
    `  Number:     ${i.number}`,
    `  Type:       ${i.type}`,
    `  Priority:   ${dash(i.priority)}`,
    `  Status:     ${i.status}${n.status.callState ? ` (call ${n.status.callState})` : ''}`,
    `  Location:   ${i.location}${n.location ? ` [${n.location.locationType}, ${n.location.kind}]` : ''}`,
    ...n.locations.filter((l) => l !== n.location).map((l) => `              also ${l.locationType}: ${l.kind === 'reference' ? l.url : l.kind === 'civic' ? l.display : `${l.lat}, ${l.lon}`}`),
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
  ];
  return lines.join('\n');
}

export function refusalLine(r: Extract<ImportResult, { ok: false }>): string {
  return `Rejected (${r.code}): ${r.message}`;
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
