export * from './types';
export { parseHsdsPackage, HsdsImportError } from './hsds';
export type { HsdsParseResult, HsdsRejectedRow, HsdsWarning, HsdsImportErrorCode } from './hsds';
export { isOpenAt, occursOn, parseClockTime, parseTimezone } from './schedule';
export type { ParsedClock } from './schedule';
export { matchesQuery, rankServices, freshness, normalizeText, queryWords, textScore, needScore, NEEDS } from './search';
export type { ServiceQuery, RankedService, Freshness, NeedDef, NeedKey } from './search';
export { canonicalJson, contentHashOf, sha256Hex } from './hash';
