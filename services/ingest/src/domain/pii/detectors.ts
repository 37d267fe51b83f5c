/**
 * What counts as personal data or a secret in a stored text, and where it is. Pure and cheap:
 * each detector first checks for a character it cannot match without (an `@`, a run of
 * digits, a token prefix), so a text without any pays a few `indexOf`s.
 *
 * - e-mail: `local@domain.tld`;
 * - phone: `+` and 8 to 15 digits with spaces, dots, dashes or parentheses between them, or
 *   the grouped North American form `(415) 555-2671` / `415-555-2671` / `415.555.2671` (a bare run
 *   of digits is not a phone: order numbers and timestamps look the same);
 * - card: 13 to 19 digits, optionally grouped by spaces or dashes, that pass the Luhn check and
 *   start like a card network's numbers (Visa, Mastercard, Amex, Discover, JCB, Diners) — a
 *   millisecond timestamp passes Luhn one time in ten, but starts with none of these;
 * - secret: a JSON Web Token (`eyJ….….…`), a bearer credential, or a key of a well-known
 *   format (`sk_live_…`, `ghp_…`, `xoxb-…`, `AKIA…`).
 */
export type PiiKind = "email" | "phone" | "card" | "secret";

export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const INTERNATIONAL_PHONE = /\+\d(?:[\s.()-]{0,2}\d){7,14}(?!\d)/g;
const GROUPED_PHONE = /(?<![\d+])(?:\(\d{3}\)\s?|\d{3}[-.\s])\d{3}[-.\s]\d{4}(?!\d)/g;
const CARD = /(?<![\d])\d(?:[ -]?\d){12,18}(?!\d)/g;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;
const KNOWN_KEYS =
  /(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|Bearer\s+[A-Za-z0-9._~+/-]{16,}=*/g;

/** True when the digits pass the Luhn check. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Whether a number starts like, and is as long as, a card of a major network. */
function cardNetwork(digits: string): boolean {
  const n = digits.length;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if (digits[0] === "4") return n === 13 || n === 16 || n === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return n === 16;
  if (two === 34 || two === 37) return n === 15;
  if (
    digits.startsWith("6011") ||
    two === 65 ||
    (Number(digits.slice(0, 3)) >= 644 && Number(digits.slice(0, 3)) <= 649)
  )
    return n >= 16 && n <= 19;
  if (four >= 3528 && four <= 3589) return n >= 16 && n <= 19;
  if (two === 36 || two === 38 || (Number(digits.slice(0, 3)) >= 300 && Number(digits.slice(0, 3)) <= 305))
    return n >= 14 && n <= 19;
  return false;
}

function collect(text: string, pattern: RegExp, kind: PiiKind, out: PiiMatch[], accept?: (m: string) => boolean) {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (!accept || accept(m[0])) out.push({ kind, start: m.index, end: m.index + m[0].length });
  }
}

/** A run of at least 7 digits, possibly with separators: the precondition of phones and cards. */
function hasDigitRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run >= 7) return true;
    } else if (c !== 32 && c !== 45 && c !== 46 && c !== 40 && c !== 41) {
      run = 0;
    }
  }
  return false;
}

/**
 * What every detector needs at least one of: an `@`, a `+` before a digit, seven digits with
 * separators, or a token prefix. One test of this over a text is all a text without personal
 * data costs (most of them).
 */
export const MIGHT_HOLD_PII = /@|\+\d|\d(?:[\s().-]?\d){6}|eyJ|sk_|pk_|rk_|gh[pousr]_|xox[abposr]-|AKIA|Bearer/;

const NONE: PiiMatch[] = [];

/** Every match in `text`, by position, overlaps resolved in favour of the earlier and longer. */
export function findPii(text: string): PiiMatch[] {
  if (!MIGHT_HOLD_PII.test(text)) return NONE;
  const found: PiiMatch[] = [];
  if (text.includes("@")) collect(text, EMAIL, "email", found);
  if (hasDigitRun(text)) {
    collect(text, CARD, "card", found, (m) => {
      const digits = m.replace(/[ -]/g, "");
      return luhn(digits) && cardNetwork(digits);
    });
    if (text.includes("+")) collect(text, INTERNATIONAL_PHONE, "phone", found);
    collect(text, GROUPED_PHONE, "phone", found);
  }
  if (text.includes("eyJ")) collect(text, JWT, "secret", found);
  if (/sk_|pk_|rk_|gh[pousr]_|xox|AKIA|Bearer/.test(text)) collect(text, KNOWN_KEYS, "secret", found);
  if (found.length < 2) return found;
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: PiiMatch[] = [];
  for (const match of found) {
    const last = kept[kept.length - 1];
    if (last && match.start < last.end) continue;
    kept.push(match);
  }
  return kept;
}

/**
 * Names of query parameters, properties and headers whose whole value is a credential or
 * personal data, whatever it looks like (compared in lower case, `-` read as `_`).
 */
export const SENSITIVE_NAMES: ReadonlySet<string> = new Set([
  "access_token",
  "id_token",
  "refresh_token",
  "token",
  "auth_token",
  "api_key",
  "apikey",
  "secret",
  "client_secret",
  "password",
  "passwd",
  "pwd",
  "auth",
  "authorization",
  "signature",
  "sig",
  "session_token",
  "jwt",
  "otp",
  "email",
  "e_mail",
  "mail",
  "phone",
  "tel",
  "mobile",
  "card",
  "card_number",
  "cc",
  "ssn",
  "cookie",
  "set_cookie",
  "x_api_key",
  "proxy_authorization",
]);

const knownNames = new Map<string, boolean>();
const KNOWN_NAMES_LIMIT = 10_000;

export function isSensitiveName(name: string): boolean {
  let sensitive = knownNames.get(name);
  if (sensitive === undefined) {
    sensitive = SENSITIVE_NAMES.has(name.toLowerCase().replace(/-/g, "_"));
    if (knownNames.size >= KNOWN_NAMES_LIMIT) knownNames.clear();
    knownNames.set(name, sensitive);
  }
  return sensitive;
}

/** A query string or fragment naming a sensitive parameter (`?token=`, `&E-Mail=`, `#access_token=`). */
export const SENSITIVE_PARAMETER = new RegExp(
  `[?&#;](?:${[...SENSITIVE_NAMES].map((n) => n.replace(/_/g, "[_-]")).join("|")})=`,
  "i",
);
