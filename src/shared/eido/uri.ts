/**
 * Dialable numbers from callback URIs (`tel:` RFC 3966, `sip:`/`sips:` RFC 3261).
 *
 * A number keeps a leading "+" (E.164 needs it to be dialled from anywhere) and loses the
 * visual separators ("-", ".", "(", ")", spaces) that RFC 3966 allows.
 */

/** Digits of a tel: URI, or of a sip: URI whose user part is a phone number. */
export function numberFromUri(uri: string): string | undefined {
  const m = /^(tel|sips?):([^@]*)(@.*)?$/i.exec(uri.trim());
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  if (scheme === 'tel' && m[3] !== undefined) return undefined;
  if (scheme !== 'tel' && m[3] === undefined) return undefined; // sip:host has no user part
  const user = (m[2] as string).split(';')[0] as string; // drop ;phone-context=, ;ext= ...
  return phoneDigits(user);
}

/** "+1 (201) 555-0123" → "+12015550123"; undefined unless it is a plausible number. */
export function phoneDigits(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return undefined;
  const digits = trimmed.replace(/[^\d]/g, '');
  if (digits.length < 3 || digits.length > 15) return undefined; // 3: "911"; 15: E.164 max
  return trimmed.startsWith('+') ? `+${digits}` : digits;
}

/**
 * Picks the number to show: tel: URIs first (they are numbers by definition), then sip:
 * URIs with numeric user parts.
 */
export function pickCallbackNumber(uris: readonly string[]): string | undefined {
  for (const u of uris) if (/^tel:/i.test(u.trim())) {
    const n = numberFromUri(u);
    if (n) return n;
  }
  for (const u of uris) {
    const n = numberFromUri(u);
    if (n) return n;
  }
  return undefined;
}
