export * from './types';
export { parseHsdsPackage, HsdsImportError, problemsCsv, UNKNOWN_ORGANIZATION } from './hsds';
export type {
  HsdsParseResult,
  HsdsParseOptions,
  HsdsProgress,
  HsdsRejectedRow,
  HsdsWarning,
  HsdsImportErrorCode,
  HsdsProblem,
  HsdsSummary,
  HsdsTableSummary,
  HsdsReasonCount,
  HsdsIgnoredFile,
} from './hsds';
export { isOpenAt, occursOn, parseClockTime, parseTimezone } from './schedule';
export type { ParsedClock } from './schedule';
export { matchesQuery, rankServices, freshness, normalizeText, queryWords, textScore, needScore, NEEDS, passesOpenNow, describeOpen } from './search';
export { ServiceSearchIndex, type IndexedSearchResult } from './search-index';
export { expandWord, stemOf, languageCodeOf, LANGUAGE_NAMES, type Alternative } from './synonyms';
export type { ServiceQuery, RankedService, Freshness, NeedDef, NeedKey } from './search';
export { canonicalJson, contentHashOf, sha256Hex } from './hash';
