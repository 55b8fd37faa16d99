/**
 * Typed errors and problems for the EIDO layer.
 *
 * Reading is tolerant (see parse.ts): every problem in a document is collected, each with a
 * machine-readable `code`, the `path` of the field in JavaScript notation
 * (`callComponent[0].callStartTimestamp`), what was expected and what was found. A problem
 * Tandem can repair travels with the incident as a warning (with the `repair` it made); a
 * fatal one refuses the document, and the refusal lists every problem at once so a person
 * fixing a CAD feed needs one round trip, not twenty.
 *
 * Messages never echo free text from the document (notes, names, XML bodies): problems end
 * up in logs, and logs must not carry a caller's personal data. Only key names, enumerated
 * values and timestamps are echoed, truncated.
 */

export type EidoErrorCode =
  /** The text is not JSON at all (syntax error, empty input). */
  | 'not_json'
  /** `eidoVersion` is present but is not EIDO 1.0. */
  | 'wrong_version'
  /** A field or component the EIDO 1.0 schema requires is absent. */
  | 'missing_part'
  /** A `$ref` names an `$id` that is not in the document, or one of the wrong kind. */
  | 'broken_ref'
  /** PIDF-LO XML that is malformed or hostile (DOCTYPE, entity declarations). */
  | 'bad_xml'
  /** The document (or an embedded XML body) is larger than allowed. */
  | 'oversize'
  /** JSON or XML nested deeper than allowed (stack-exhaustion attempts). */
  | 'too_deep'
  /** Anything else that violates the schema: wrong type, bad timestamp, bad enum value. */
  | 'invalid'
  /** A key that is not the EIDO name but plainly means one ("lastUpdateTimestamp"). */
  | 'misnamed_key'
  /** A single value where EIDO wants a list. */
  | 'not_a_list'
  /** Two objects share one `$id`. */
  | 'duplicate_id';

/** One thing wrong with a document, repaired or not. */
export interface EidoProblem {
  /** The field, in JavaScript notation; '' for the document as a whole. */
  path: string;
  code: EidoErrorCode;
  /** What is wrong, without the path and without the document's free text. */
  message: string;
  /** True when the document cannot be used at all (nothing safe to show a clinician). */
  fatal: boolean;
  /** What Tandem did about it, when it was repaired. */
  repair?: string;
  /** What EIDO 1.0 expects there ("an RFC 3339 date-time", "a list"). */
  expected?: string;
  /** What was there instead: a JSON type, a key name or an enumerated value. */
  found?: string;
  /** A hint for near misses: 'did you mean "lastUpdateTimeStamp"?'. */
  suggestion?: string;
}

/** A repaired problem, as it travels with an accepted incident. */
export type EidoWarning = EidoProblem & { fatal: false; repair: string };

export class EidoError extends Error {
  override readonly name = 'EidoError';
  readonly code: EidoErrorCode;
  readonly path: string | undefined;
  /** Every problem found in the document, fatal first; at least the one this error names. */
  readonly problems: readonly EidoProblem[];

  constructor(code: EidoErrorCode, message: string, path?: string, problems?: readonly EidoProblem[]) {
    // The path leads the message so a log line alone says where to look.
    super(path ? `${path}: ${message}` : message);
    this.code = code;
    this.path = path;
    this.problems = problems?.length ? problems : [{ path: path ?? '', code, message, fatal: true }];
  }
}

/** Raised by `parseEligibilityRules` when a site's rule file does not validate. */
export class EligibilityRulesError extends Error {
  override readonly name = 'EligibilityRulesError';
  /** One line per problem, each starting with the field path inside the rule file. */
  readonly issues: string[];

  constructor(issues: string[]) {
    super(`Invalid eligibility rules:\n  - ${issues.join('\n  - ')}`);
    this.issues = issues;
  }
}

/** Describes the JSON type of a value for "expected X, got Y" messages. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** One line for a person: `path: message (expected …, found …; did you mean …?) → repair`. */
export function describeProblem(p: EidoProblem): string {
  const detail = [p.expected && `expected ${p.expected}`, p.found && `found ${p.found}`].filter(Boolean).join(', ');
  const hint = [detail, p.suggestion].filter(Boolean).join('; ');
  const where = p.path ? `${p.path}: ` : '';
  return `${where}${p.message}${hint ? ` (${hint})` : ''}${p.repair ? ` → ${p.repair}` : ''}`;
}
