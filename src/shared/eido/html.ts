/**
 * Notes are HTML5. The console shows text, never sender HTML (that would be script
 * injection into the dispatcher's screen), so tags go and character references are decoded.
 * Block-level tags become line breaks so paragraphs stay apart. A hand-written scanner
 * rather than regular expressions: patterns like /<[^>]*>/ backtrack quadratically on
 * "<<<<…", and a note can be most of a megabyte.
 */
export function htmlToText(html: string): string {
  if (!html.includes('<') && !html.includes('&')) return html.trim();
  let out = '';
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf('<', i);
    if (open === -1) break;
    const close = html.indexOf('>', open + 1);
    if (close === -1) break; // an unclosed "<" is text, not a tag
    out += html.slice(i, open);
    if (isBlockTag(html, open + 1, close)) out += '\n';
    i = close + 1;
  }
  out += html.slice(i);
  const lines = decodeHtmlEntities(out).split('\n').map((l) => l.trimEnd());
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

const BLOCK_TAG = /^\s*(br|\/p|\/div|\/li|\/h[1-6])\b/i;

/** Cheap first-character test before the regex: most tags are not line breaks. */
function isBlockTag(html: string, start: number, end: number): boolean {
  const c = html[start];
  if (c !== 'b' && c !== 'B' && c !== '/' && c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return false;
  return BLOCK_TAG.test(html.slice(start, Math.min(end, start + 12)));
}

const HTML_NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function decodeHtmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,6});/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return HTML_NAMED[ref.toLowerCase()] ?? whole;
  });
}
