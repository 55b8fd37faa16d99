import type { SuggestionField } from '../entities';

/**
 * A suggested directory correction (entities.ts DirectorySuggestion) read from and applied to
 * the entry's record (directory/types.ts ResourceService, kept whole as JSON). Pure: the
 * server applies it, the console shows what the entry says now.
 */
type Record_ = Record<string, unknown>;

export const SUGGESTION_FIELD_LABELS: Record<SuggestionField, string> = {
  phone: 'Phone number',
  name: 'Name',
  description: 'Description',
  url: 'Website',
  email: 'Email',
  alert: 'Alert',
};

/** What the entry says now for this field ("" when it says nothing). */
export function currentValue(record: Record_, field: SuggestionField): string {
  if (field === 'phone') {
    const phones = Array.isArray(record.phones) ? (record.phones as { number?: unknown }[]) : [];
    return typeof phones[0]?.number === 'string' ? phones[0].number : '';
  }
  const v = record[field];
  return typeof v === 'string' ? v : '';
}

/** The record with the correction applied (the first phone number's, for `phone`). */
export function applySuggestion(record: Record_, field: SuggestionField, proposed: string): Record_ {
  if (field === 'phone') {
    const phones = Array.isArray(record.phones) ? [...(record.phones as Record_[])] : [];
    phones[0] = { ...(phones[0] ?? {}), number: proposed };
    return { ...record, phones };
  }
  return { ...record, [field]: proposed };
}
