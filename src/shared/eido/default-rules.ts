/**
 * The shipped run card (config/eligibility-rules.json, documented in docs/ELIGIBILITY.md),
 * built into the program so that a server or console without a site rule file still flags
 * incidents. A site's own file replaces it (server `--eligibility-rules FILE`, core
 * `eligibilityRulesFile`). Validated on load: a broken default fails loudly at start.
 */
import rulesJson from '../../../config/eligibility-rules.json';
import { parseEligibilityRules, type EligibilityRules } from './eligibility';

export const DEFAULT_ELIGIBILITY_RULES: EligibilityRules = parseEligibilityRules(rulesJson);
