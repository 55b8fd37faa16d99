/**
 * How deeply a JSON text nests, read without parsing it: `JSON.parse` recurses, and a text
 * nested some thousands deep overflows the stack (a 500 where a 400 is owed). Counts `[` and
 * `{` outside strings; one pass, no allocation. Returns true as soon as the depth passes `max`.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}
