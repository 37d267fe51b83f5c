import { ValidationError } from "@trellis/platform";

/**
 * Deepest nesting of arrays and objects in a JSON request body. The deepest body of the API
 * (a report filter's values) is 4 levels; what reads a body (protobuf's JSON reader stops
 * at 100 levels with a plain error, other readers recurse) never meets one deeper than this.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Refuses a JSON body nested deeper than `maxDepth`, naming the body and the limit, before
 * it is parsed.
 */
export function assertJsonDepth(body: Uint8Array, field = "body", maxDepth = MAX_JSON_DEPTH): void {
  if (nestsDeeperThan(body, maxDepth))
    throw ValidationError.field(field, `must not nest arrays and objects more than ${maxDepth} levels deep`);
}

/**
 * Whether UTF-8 JSON text opens more than `max` arrays or objects at once: one pass over the
 * bytes, no parsing. Brackets inside strings do not count; none of the bytes looked for
 * occurs inside a multi-byte character. Malformed text is left to the parser.
 */
export function nestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      // On to the closing quote: the next one not escaped by an odd run of backslashes.
      let end = i;
      for (;;) {
        end = bytes.indexOf(QUOTE, end + 1);
        if (end < 0) return false;
        let backslashes = 0;
        while (bytes[end - 1 - backslashes] === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
