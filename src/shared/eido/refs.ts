/**
 * `$id` index and `$ref` checking.
 *
 * EIDO links components by `$id`/`$ref`. One iterative pass over the whole document
 * collects every `$id` (with the component list it sits in) and every `$ref` (with the
 * field that holds it), then checks each reference:
 *
 * - A reference must name an `$id` in this document, else `broken_ref`.
 * - Except references to agencies and agents (fields ending in `AgencyReference`,
 *   `agencyReference`, `AgentReference`, `agentReference`): agency and agent ids are globally
 *   unique names ("state.pa.us", "tjones.atroop@state.pa.us") and an EIDO routinely names an
 *   agency or agent it does not describe (the agency that last updated a component, the
 *   agency it is being transferred from). Those may dangle; they are reported in
 *   `externalRefs` so the console can show them as names without details.
 * - Where the field says what it links to (`locationReference` → `locationComponent`, ...),
 *   the target must be of that kind, else `broken_ref`: a person reference that lands on a
 *   callback component is as broken as one that lands nowhere.
 * - Two components with the same `$id` make every reference to it ambiguous: `invalid`.
 */
import { EidoError } from './errors';
import type { JsonObject } from './json';
import { joinPath } from './schema';

export interface IdEntry {
  /** The field holding the component (its list), e.g. "locationComponent". */
  collection: string;
  path: string;
  value: JsonObject;
}

export interface RefIndex {
  ids: Map<string, IdEntry>;
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

/** A node on the walk; paths are rebuilt from parent links only when an error needs one. */
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

/** Indexes `$id`s and checks every `$ref` in the document; throws on the first broken one. */
export function indexAndCheckRefs(doc: JsonObject): RefIndex {
  const ids = new Map<string, IdEntry>();
  const found: FoundRef[] = [];
  collect(doc, ids, found);
  const externalRefs: string[] = [];
  for (const r of found) checkRef(r, ids, externalRefs);
  return { ids, externalRefs };
}

/** Depth is already bounded (json.ts); the explicit stack keeps the walk predictable. */
function collect(doc: JsonObject, ids: Map<string, IdEntry>, refs: FoundRef[]): void {
  const stack: Frame[] = [{ value: doc, field: 'document', key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value, field } = frame;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pushChild(stack, value[i], field, i, frame);
      continue;
    }
    const obj = value as JsonObject;
    noteId(obj, frame, ids);
    noteRef(obj, frame, refs);
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

function noteId(obj: JsonObject, frame: Frame, ids: Map<string, IdEntry>): void {
  if (!Object.prototype.hasOwnProperty.call(obj, '$id')) return;
  const id = obj['$id'];
  if (typeof id !== 'string' || id === '') {
    throw new EidoError('invalid', '$id must be a non-empty string', pathOf(frame, '$id'));
  }
  const where = pathOf(frame) || 'document';
  const prior = ids.get(id);
  if (prior) {
    throw new EidoError('invalid', `duplicate $id (also used by ${prior.path}); references to it would be ambiguous`, where);
  }
  ids.set(id, { collection: frame.field, path: where, value: obj });
}

function noteRef(obj: JsonObject, frame: Frame, refs: FoundRef[]): void {
  if (!Object.prototype.hasOwnProperty.call(obj, '$ref')) return;
  const ref = obj['$ref'];
  if (typeof ref !== 'string' || ref === '') {
    throw new EidoError('invalid', '$ref must be a non-empty string', pathOf(frame, '$ref'));
  }
  refs.push({ ref, field: frame.field, frame });
}

function checkRef(r: FoundRef, ids: Map<string, IdEntry>, externalRefs: string[]): void {
  const target = ids.get(r.ref);
  const external = EXTERNAL_OK.test(r.field);
  if (!target) {
    if (!external) throw new EidoError('broken_ref', 'points to no $id in this document', pathOf(r.frame, '$ref'));
    if (!externalRefs.includes(r.ref)) externalRefs.push(r.ref);
    return;
  }
  const expected = external ? expectedActor(r.field) : TARGETS[r.field];
  if (expected && target.collection !== expected) {
    throw new EidoError('broken_ref', `${r.field} must point to a ${expected} entry, but points to ${target.path}`, pathOf(r.frame, '$ref'));
  }
}

function expectedActor(field: string): string {
  return /agencyReference$/i.test(field) ? 'agencyComponent' : 'agentComponent';
}
