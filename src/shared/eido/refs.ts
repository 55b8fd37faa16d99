/**
 * `$id` index and `$ref` checking, on a document already read (its components repaired).
 *
 * EIDO links components by `$id`/`$ref`. One iterative pass over the whole document
 * collects every `$id` (with the component list it sits in) and every `$ref` (with the
 * field that holds it), then resolves each reference:
 *
 * - A reference must name an `$id` in this document. One that does not is dropped, with a
 *   warning: the component holding it still shows, without that link.
 * - Except references to agencies and agents (fields ending in `AgencyReference`,
 *   `agencyReference`, `AgentReference`, `agentReference`): agency and agent ids are globally
 *   unique names ("state.pa.us", "tjones.atroop@state.pa.us") and an EIDO routinely names an
 *   agency or agent it does not describe. Those may dangle; they are listed in
 *   `externalRefs` so the console can show them as names without details.
 * - Where the field says what it links to (`locationReference` → `locationComponent`, ...),
 *   the target must be of that kind; a reference to the wrong kind is dropped like a
 *   dangling one.
 * - Two objects with the same `$id`: where the meaning is clear they are kept and each
 *   reference is resolved by the kind of component its field names (the document and its
 *   incident component sharing the incident id is the common case; an exact repeat of a
 *   component is dropped). A reference that could still mean either is dropped.
 */
import { canonicalJson } from '../directory/hash';
import type { JsonObject } from './json';
import { joinPath } from './field-path';
import type { ProblemLog } from './problems';

export interface IdEntry {
  /** The field holding the component (its list), e.g. "locationComponent"; "document" for the root. */
  collection: string;
  path: string;
  value: JsonObject;
}

/** An entry and where it sits, so an exact repeat can be taken out of its list. */
interface Located extends IdEntry {
  frame: Frame;
}

export interface RefIndex {
  ids: Map<string, IdEntry[]>;
  /** Unresolved agency/agent ids, in first-seen order. */
  externalRefs: string[];
}

const EXTERNAL_OK = /(agency|agent)Reference$/i;

/** Which component list a reference field must point into, where the field says. */
const TARGETS: Record<string, string> = {
  locationReference: 'locationComponent',
  destinationReference: 'locationComponent',
  locationDereferencedFromReference: 'locationComponent',
  personReference: 'personComponent',
  notesReference: 'notesComponent',
  cautionReference: 'cautionComponent',
  callBackReference: 'callbackComponent',
  additionalDataReference: 'additionalDataComponent',
  additionalDataDereferencedFromReference: 'additionalDataComponent',
  vehicleReference: 'vehicleComponent',
  mediaReferences: 'mediaComponent',
  externalInformationSourceReferences: 'externalInformationSourceComponent',
};

/** A node on the walk; paths are rebuilt from parent links only when a problem needs one. */
interface Frame {
  value: object;
  /** The nearest object key above this value (array indices skipped). */
  field: string;
  key: string | number | undefined;
  parent: Frame | undefined;
}

interface FoundRef {
  ref: string;
  field: string;
  frame: Frame;
}

/** Indexes `$id`s and resolves every `$ref`, dropping (and logging) those that do not resolve. */
export function indexAndCheckRefs(doc: JsonObject, log: ProblemLog): RefIndex {
  const ids = new Map<string, Located[]>();
  const found: FoundRef[] = [];
  collect(doc, ids, found, log);
  const drop: Frame[] = [];
  for (const entries of ids.values()) if (entries.length > 1) settleDuplicate(entries, drop, log);
  const externalRefs: string[] = [];
  for (const r of found) {
    if (!resolves(r, ids, externalRefs, log)) drop.push(r.frame);
  }
  removeAll(drop);
  return { ids: new Map([...ids].map(([id, list]) => [id, list.map(({ frame: _frame, ...entry }) => entry)])), externalRefs };
}

/** Depth is already bounded (json.ts); the explicit stack keeps the walk predictable. */
function collect(doc: JsonObject, ids: Map<string, Located[]>, refs: FoundRef[], log: ProblemLog): void {
  const stack: Frame[] = [{ value: doc, field: 'document', key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value, field } = frame;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pushChild(stack, value[i], field, i, frame);
      continue;
    }
    const obj = value as JsonObject;
    noteId(obj, frame, ids, log);
    noteRef(obj, frame, refs, log);
    const keys = Object.keys(obj);
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k] as string;
      pushChild(stack, obj[key], key, key, frame);
    }
  }
}

function pushChild(stack: Frame[], value: unknown, field: string, key: string | number, parent: Frame): void {
  // Primitives cannot hold $id or $ref; skipping them keeps big text-only documents cheap.
  if (value !== null && typeof value === 'object') stack.push({ value, field, key, parent });
}

function pathOf(frame: Frame, ...more: (string | number)[]): string {
  const keys: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f && f.key !== undefined; f = f.parent) keys.push(f.key);
  return joinPath('', [...keys.reverse(), ...more]);
}

function noteId(obj: JsonObject, frame: Frame, ids: Map<string, Located[]>, log: ProblemLog): void {
  if (!Object.prototype.hasOwnProperty.call(obj, '$id')) return;
  const id = obj['$id'];
  if (typeof id !== 'string' || id === '') {
    // Components had theirs checked when read; this is an object Tandem does not read.
    log.repaired('invalid', pathOf(frame, '$id'), '$id must be a non-empty string', 'ignored: nothing can refer to this object');
    return;
  }
  const entry = { collection: frame.field, path: pathOf(frame) || 'document', value: obj, frame };
  const list = ids.get(id);
  if (list) list.push(entry);
  else ids.set(id, [entry]);
}

function noteRef(obj: JsonObject, frame: Frame, refs: FoundRef[], log: ProblemLog): void {
  if (!Object.prototype.hasOwnProperty.call(obj, '$ref')) return;
  const ref = obj['$ref'];
  if (typeof ref !== 'string' || ref === '') {
    log.repaired('invalid', pathOf(frame, '$ref'), '$ref must be a non-empty string', 'reference dropped');
    refs.push({ ref: '', field: frame.field, frame });
    return;
  }
  refs.push({ ref, field: frame.field, frame });
}

/** Decides what two or more objects with one `$id` mean, and says so. */
function settleDuplicate(entries: Located[], drop: Frame[], log: ProblemLog): void {
  const where = entries.map((e) => e.path);
  const collections = new Set(entries.map((e) => e.collection));
  const first = entries[0] as Located;
  if (collections.size === 2 && collections.has('document') && collections.has('incidentComponent')) {
    log.repaired('duplicate_id', entries[1]?.path ?? '', `shares its $id with ${first.path}`, 'read as one incident: the incident component describes the document\'s incident');
    return;
  }
  if (collections.size === entries.length) {
    log.repaired('duplicate_id', where.slice(1).join(', '), `shares its $id with ${first.path}`, 'kept; each reference is resolved by the kind of component its field names');
    return;
  }
  // Same list, same id: an exact repeat is a resend of one component; keep one.
  const text = canonicalJson(first.value);
  const repeats = entries.slice(1).filter((e) => e.collection === first.collection && canonicalJson(e.value) === text);
  if (repeats.length === entries.length - 1) {
    for (const r of repeats) log.repaired('duplicate_id', r.path, `repeats ${first.path} exactly`, 'the repeat was left out');
    for (const r of repeats) drop.push(r.frame);
    entries.splice(1);
    return;
  }
  log.repaired('duplicate_id', where.slice(1).join(', '), `shares its $id with ${first.path}`, 'kept; references to this $id that could mean either are dropped');
}

function resolves(r: FoundRef, ids: Map<string, Located[]>, externalRefs: string[], log: ProblemLog): boolean {
  if (r.ref === '') return false;
  const where = pathOf(r.frame, '$ref');
  const external = EXTERNAL_OK.test(r.field);
  const candidates = ids.get(r.ref) ?? [];
  if (candidates.length === 0) {
    if (external) {
      if (!externalRefs.includes(r.ref)) externalRefs.push(r.ref);
      return true;
    }
    log.repaired('broken_ref', where, 'points to no $id in this document', 'reference dropped');
    return false;
  }
  const expected = external ? expectedActor(r.field) : TARGETS[r.field];
  const fitting = expected ? candidates.filter((c) => c.collection === expected) : incidentFirst(candidates);
  if (fitting.length === 0) {
    const target = candidates[0] as IdEntry;
    log.repaired('broken_ref', where, `${r.field} must point to a ${expected} entry, but points to ${target.path}`, 'reference dropped');
    return false;
  }
  if (fitting.length > 1) {
    log.repaired('broken_ref', where, `${fitting.length} objects have this $id (${fitting.map((c) => c.path).join(', ')})`, 'reference dropped: it could mean either');
    return false;
  }
  return true;
}

/** An untyped reference to the incident id means the incident component, not the document. */
function incidentFirst<T extends IdEntry>(candidates: T[]): T[] {
  const incident = candidates.filter((c) => c.collection === 'incidentComponent');
  return incident.length === 1 && candidates.every((c) => c.collection === 'incidentComponent' || c.collection === 'document') ? incident : candidates;
}

function expectedActor(field: string): string {
  return /agencyReference$/i.test(field) ? 'agencyComponent' : 'agentComponent';
}

/** Removes the objects of the given frames from their parents (array items or fields). */
function removeAll(frames: Frame[]): void {
  const fromArrays = new Map<unknown[], number[]>();
  for (const f of frames) {
    const parent = f.parent?.value;
    if (Array.isArray(parent) && typeof f.key === 'number') {
      const list = fromArrays.get(parent);
      if (list) list.push(f.key);
      else fromArrays.set(parent, [f.key]);
    } else if (parent && typeof f.key === 'string') {
      delete (parent as JsonObject)[f.key];
    }
  }
  for (const [array, indices] of fromArrays) {
    for (const i of [...new Set(indices)].sort((a, b) => b - a)) array.splice(i, 1);
  }
}
