/**
 * A lexer for ClickHouse SQL text, enough to tell what is quoted from what is not: string
 * literals, quoted identifiers (backticks or double quotes), comments, words, numbers and
 * punctuation. The sandbox uses it on the statement and on ClickHouse's normalized form of
 * it, so that no caller-chosen text inside quotes is ever read as structure.
 *
 * It follows ClickHouse's lexer for the parts that matter here: inside quotes a backslash
 * escapes the next character and a doubled quote stands for one; comments are `--`, `#`
 * (followed by a space or `!`) and nestable `/* … *\/`. Text the lexer cannot close (an
 * unterminated quote or comment) is one `unterminated` token, which the sandbox refuses.
 */

export type TokenKind =
  | "word"
  | "quoted-identifier"
  | "string"
  | "number"
  | "punctuation"
  | "space"
  | "comment"
  | "unterminated";

export interface Token {
  kind: TokenKind;
  /** The token's text as written, quotes included. */
  text: string;
  /** For words and quoted identifiers: the name (quotes removed, escapes resolved). */
  name?: string;
}

const WORD_START = /[\p{L}_$]/u;
const WORD_PART = /[\p{L}\p{N}_$]/u;

/** Reads a quoted run starting at `start` (the opening quote); returns its end and content. */
function readQuoted(text: string, start: number): { end: number; content: string } | undefined {
  const quote = text[start];
  let content = "";
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\\") {
      if (i + 1 >= text.length) return undefined;
      content += escaped(text[i + 1] as string);
      i += 2;
      continue;
    }
    if (c === quote) {
      if (text[i + 1] === quote) {
        content += quote;
        i += 2;
        continue;
      }
      return { end: i + 1, content };
    }
    content += c;
    i++;
  }
  return undefined;
}

function escaped(c: string): string {
  switch (c) {
    case "n":
      return "\n";
    case "t":
      return "\t";
    case "r":
      return "\r";
    case "0":
      return "\0";
    case "b":
      return "\b";
    case "f":
      return "\f";
    case "a":
      return "\x07";
    case "v":
      return "\v";
    default:
      return c;
  }
}

function commentEnd(text: string, start: number): number | undefined {
  if (text.startsWith("--", start) || (text[start] === "#" && /[ !]/.test(text[start + 1] ?? ""))) {
    const newline = text.indexOf("\n", start);
    return newline === -1 ? text.length : newline + 1;
  }
  if (text.startsWith("/*", start)) {
    let depth = 0;
    let i = start;
    while (i < text.length) {
      if (text.startsWith("/*", i)) {
        depth++;
        i += 2;
      } else if (text.startsWith("*/", i)) {
        depth--;
        i += 2;
        if (depth === 0) return i;
      } else i++;
    }
    return undefined;
  }
  return -1;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const rest = (end: number, kind: TokenKind, name?: string) => {
      tokens.push(name === undefined ? { kind, text: text.slice(i, end) } : { kind, text: text.slice(i, end), name });
      i = end;
    };
    if (/\s/.test(c)) {
      let end = i + 1;
      while (end < text.length && /\s/.test(text[end] as string)) end++;
      rest(end, "space");
      continue;
    }
    const comment = commentEnd(text, i);
    if (comment === undefined) {
      rest(text.length, "unterminated");
      continue;
    }
    if (comment !== -1) {
      rest(comment, "comment");
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      const quoted = readQuoted(text, i);
      if (!quoted) {
        rest(text.length, "unterminated");
        continue;
      }
      if (c === "'") rest(quoted.end, "string", quoted.content);
      else rest(quoted.end, "quoted-identifier", quoted.content);
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      let end = i + 1;
      while (end < text.length && /[0-9a-zA-Z_.]/.test(text[end] as string)) {
        // An exponent's sign belongs to the number: 1e-5.
        end++;
        if (/[eEpP]/.test(text[end - 1] as string) && /[+-]/.test(text[end] ?? "")) end++;
      }
      rest(end, "number");
      continue;
    }
    if (WORD_START.test(c)) {
      let end = i + 1;
      while (end < text.length && WORD_PART.test(text[end] as string)) end++;
      rest(end, "word", text.slice(i, end));
      continue;
    }
    rest(i + 1, "punctuation");
  }
  return tokens;
}

/** The tokens that carry meaning: no spaces, no comments. */
export function significant(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => t.kind !== "space" && t.kind !== "comment");
}

/** Whether a token is the keyword `keyword` (unquoted, any case). */
export function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token?.kind === "word" && token.text.toUpperCase() === keyword;
}

/** A name as written by a word or a quoted identifier. */
export function nameOf(token: Token | undefined): string | undefined {
  return token && (token.kind === "word" || token.kind === "quoted-identifier") ? token.name : undefined;
}

/**
 * Whether a name holds a character that must never appear in a quoted identifier of tenant
 * SQL: the engine prints identifiers raw in `EXPLAIN AST`, where a line break would start a
 * node of the caller's choosing. C0 and C1 controls, DEL, and the Unicode line and paragraph
 * separators.
 */
export function hasControlCharacter(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}
