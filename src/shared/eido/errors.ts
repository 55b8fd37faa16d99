/**
 * Typed errors for the EIDO layer.
 *
 * Every rejection carries a machine-readable `code` (so intake can count and route
 * failures, and the review queue can group them) and, where it applies, the `path` of the
 * offending field in JavaScript notation (`callComponent[0].callStartTimestamp`), so a
 * person fixing the CAD feed can find the field without reading our code.
 *
 * Messages never echo free text from the document (notes, names, XML bodies): errors end up
 * in logs, and logs must not carry a caller's personal data. Only the version string is
 * echoed, truncated.
 */

export type EidoErrorCode =
  /** The text is not JSON at all (syntax error, empty input). */
  | 'not_json'
  /** `eidoVersion` is present but is not the string "1.0". */
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
  | 'invalid';

export class EidoError extends Error {
  override readonly name = 'EidoError';
  readonly code: EidoErrorCode;
  readonly path: string | undefined;

  constructor(code: EidoErrorCode, message: string, path?: string) {
    // The path leads the message so a log line alone says where to look.
    super(path ? `${path}: ${message}` : message);
    this.code = code;
    this.path = path;
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
