/**
 * Zod schemas for the parts of EIDO 1.0 that Tandem reads, after NENA's OpenAPI file
 * (`components.schemas.*Type`). Objects are loose: a CAD may send fields we do not use, and
 * they stay in `raw`. Fields the standard marks required are required here, so a document
 * that lacks them is rejected with `missing_part` instead of being half applied.
 *
 * Schemas only validate; the parser then reads the original data (no zod output copies),
 * which keeps hostile keys such as "__proto__" from being re-assigned onto new objects.
 */
import { z } from 'zod';
import { EidoError, jsonTypeOf } from './errors';
import { parseTimestamp } from './time';

export const SCALE = ['highest', 'high', 'normal', 'low', 'lowest'] as const;

const text = z.string().min(1);
const optText = z.string().optional();
const textList = z.array(z.string());
const timestamp = z
  .string()
  .refine((s) => parseTimestamp(s) !== undefined, 'must be an RFC 3339 date-time with a time zone');
/** Severity/priority scale; senders differ in case ("High"), so case is ignored. */
const scale = z
  .string()
  .refine((s) => (SCALE as readonly string[]).includes(s.toLowerCase()), `must be one of ${SCALE.join(', ')}`);

export const ReferenceSchema = z.looseObject({ $ref: text });
const refs = z.array(ReferenceSchema).optional();

const prologue = {
  $id: text,
  lastUpdateTimeStamp: timestamp,
  updatedByAgencyReference: ReferenceSchema,
  updatedByAgentReference: ReferenceSchema.optional(),
};

export const DispositionSchema = z.looseObject({
  ...prologue,
  dispositionCommonRegistryCode: text,
  dispositionPrimaryIndicator: z.boolean().optional(),
  dispositionCategoryText: optText,
  dispositionDescriptionText: optText,
  notesReference: refs,
});

export const IncidentSchema = z.looseObject({
  ...prologue,
  incidentTypeCommonRegistryText: text,
  incidentTypeInternalCode: optText,
  incidentTypeInternalText: optText,
  incidentStatusCommonRegistryText: textList.optional(),
  incidentStatusInternalText: textList.optional(),
  internalIncidentId: optText,
  incidentPriorityInternalText: optText,
  incidentCommonPriorityNumber: z.number().int().optional(),
  locationReference: refs,
  personReference: refs,
  notesReference: refs,
  dispositionComponent: z.array(DispositionSchema).optional(),
});

export const CallSchema = z.looseObject({
  ...prologue,
  callStateRegistryText: text,
  standardPrimaryCallType: text,
  direction: z.enum(['incoming', 'outgoing', 'internal']),
  callStartTimestamp: timestamp,
  answerDate: timestamp.optional(),
  priorityIdentifier: scale.optional(),
  localCallType: optText,
  queueIdentifier: optText,
  callBackReference: ReferenceSchema.optional(),
  locationReference: refs,
  personReference: refs,
  notesReference: refs,
  agentReference: refs,
});

export const CallbackSchema = z.looseObject({
  ...prologue,
  callBackInformationUri: textList.optional(),
  deviceContactHeader: optText,
  updatedCbn: z.looseObject({ ...prologue, updatedCbnIdentifierUri: text }).optional(),
});

export const LocationSchema = z.looseObject({
  ...prologue,
  locationTypeDescriptionRegistryText: text,
  locationByValue: optText,
  locationByReferenceUrl: optText,
  locationDescriptionText: optText,
});

export const PersonSchema = z.looseObject({
  ...prologue,
  personIncidentRoleRegistryText: textList,
  callIdentifier: textList.optional(),
  callBackReference: ReferenceSchema.optional(),
  ncPersonComponent: z.looseObject({}).optional(),
  locationReference: refs,
  notesReference: refs,
});

export const NotesSchema = z.looseObject({
  ...prologue,
  notesActionComments: z.string(),
  agentReference: ReferenceSchema.optional(),
});

export const CautionSchema = z.looseObject({
  ...prologue,
  cautionTypeInternalText: text,
  cautionTypeCommonRegistryText: text,
  cautionSeverity: scale,
  cautionSource: optText,
  startDate: timestamp.optional(),
});

export const AgencySchema = z.looseObject({
  ...prologue,
  agencyRoleDescriptionRegistryText: textList,
  agencyType: textList,
  incidentOwningAgencyIndicator: z.boolean().optional(),
});

export const AgentSchema = z.looseObject({
  ...prologue,
  agentRoleRegistryText: z.array(z.string()).min(1),
  agencyReference: ReferenceSchema,
  agentWorkstationPositionIdentification: optText,
});

/**
 * The document minus `eidoVersion` (checked first, on its own, so a 2.0 document gets
 * `wrong_version` rather than whatever structural difference zod would meet first) and minus
 * `incidentComponent` (an object in the OpenAPI file, an array in some feeds; parse.ts
 * accepts both). Key order sets which problem is reported first: the document's own
 * fields, then components in reading order.
 */
export const DocumentSchema = z.looseObject({
  ...prologue,
  issuingElementIdentification: text,
  callComponent: z.array(CallSchema).optional(),
  callbackComponent: z.array(CallbackSchema).optional(),
  locationComponent: z.array(LocationSchema).optional(),
  personComponent: z.array(PersonSchema).optional(),
  notesComponent: z.array(NotesSchema).optional(),
  cautionComponent: z.array(CautionSchema).optional(),
  agencyComponent: z.array(AgencySchema).min(1),
  agentComponent: z.array(AgentSchema).optional(),
});

export type EidoDocument = z.infer<typeof DocumentSchema>;
export type EidoIncidentComponent = z.infer<typeof IncidentSchema>;
export type EidoReference = z.infer<typeof ReferenceSchema>;

/**
 * Validates `data` and returns it typed, or throws the first problem as an EidoError whose
 * path is `basePath` plus the zod path (`callComponent[0].direction`).
 */
export function validate<S extends z.ZodType>(schema: S, data: unknown, basePath = ''): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return data as z.infer<S>;
  const issue = result.error.issues[0];
  if (!issue) throw new EidoError('invalid', 'does not match the EIDO 1.0 schema', basePath || undefined);
  throw issueToError(issue, data, basePath);
}

function issueToError(issue: z.core.$ZodIssue, data: unknown, basePath: string): EidoError {
  const path = joinPath(basePath, issue.path);
  const { found, value } = lookup(data, issue.path);
  if (!found) return new EidoError('missing_part', 'required by EIDO 1.0 but missing', path || undefined);
  if (issue.code === 'too_small' && Array.isArray(value)) {
    return new EidoError('missing_part', `must list at least ${String(issue.minimum)} item(s)`, path || undefined);
  }
  return new EidoError('invalid', describeIssue(issue, value), path || undefined);
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, got ${jsonTypeOf(value)}`;
    case 'too_small':
      return 'must not be empty';
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'custom':
      return issue.message;
    default:
      return `does not match the EIDO 1.0 schema (${issue.code})`;
  }
}

/** Follows a zod path into the data; `found` is false when a key is absent. */
function lookup(data: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return { found: false, value: undefined };
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return { found: false, value: undefined };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  // JSON has no undefined; a present key always holds a value.
  return { found: cur !== undefined, value: cur };
}

/** Formats a path the way a developer would write it in JavaScript. */
export function joinPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$@][\w$@]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
