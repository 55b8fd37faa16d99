/**
 * The EIDO layer: read NENA EIDO 1.0 documents from CAD (alone or in a conveyance event)
 * tolerantly into normalized incidents that carry what was repaired,
 * decide which of two updates is current, build the outcome update sent back to CAD, and
 * evaluate a site's clinician-eligibility rules. Pure TypeScript: runs in the server, the
 * core and the renderer alike.
 */
export { EidoError, EligibilityRulesError, describeProblem, type EidoErrorCode, type EidoProblem, type EidoWarning } from './errors';
export {
  parseEido,
  readEido,
  pickPrimaryLocation,
  htmlToText,
  EIDO_VERSION,
  type ParseEidoOptions,
  type EidoReadResult,
  type EidoDocumentOutcome,
} from './parse';
export { DEFAULT_MAX_BYTES, MAX_JSON_DEPTH } from './json';
export { DEFAULT_MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_MARKUP, MAX_XML_MARKUP_TOTAL, formatCivic } from './pidf';
export { numberFromUri, phoneDigits } from './uri';
export {
  isNewer,
  buildOutcomeUpdate,
  DEFAULT_OUTCOME_INCIDENT_TYPE,
  type OutcomeUpdateInput,
  type OutcomeUpdateDocument,
  type Timestamped,
} from './update';
export {
  evaluateEligibility,
  ignoredOf,
  parseEligibilityRules,
  EligibilityRulesSchema,
  PHRASE_FIELDS,
  type EligibilityInput,
  type EligibilityMatch,
  type EligibilityResult,
  type EligibilityRule,
  type EligibilityRules,
  type PhraseField,
} from './eligibility';
export {
  eidoIncidentRowId,
  eidoIncidentNumber,
  eidoIncidentType,
  describeEidoLocation,
  eidoIncidentFields,
  decideEidoIntake,
  manualEligibility,
  eligibilityRulesFromText,
  loadEligibilityRules,
  type EidoIncidentFields,
  type EidoIncidentOptions,
  type EidoIntakeDecision,
} from './intake';
export type * from './types';
