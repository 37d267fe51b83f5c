import { urlFacts } from "../url-facts.js";
import type { ValidEvent } from "../validate.js";
import { findPii, isSensitiveName, MIGHT_HOLD_PII, type PiiKind, SENSITIVE_PARAMETER } from "./detectors.js";
import { type DataKey, sealValue } from "./seal.js";

/**
 * What ingest does with personal data found in an event, per organization:
 * - `redact` (the default): each match becomes `REDACTED_EMAIL`, `REDACTED_PHONE`, `REDACTED_CARD`
 *   or `REDACTED_SECRET`;
 * - `encrypt`: each match is sealed with the organization's current data key (`pii1.<key>.<…>`),
 *   readable with that key until it is shredded;
 * - `disabled`: nothing is looked for (benchmarks measure the detection's cost against it; no
 *   organization setting selects it).
 * Query parameters named in `dropParams` are removed from every URL whatever their value.
 */
export interface PiiPolicy {
  mode: "redact" | "encrypt" | "disabled";
  /** Query parameter names (lower case) always removed. */
  dropParams: readonly string[];
  /** The data key values are sealed with; required by `encrypt`. */
  key?: DataKey;
}

export const DEFAULT_PII_POLICY: PiiPolicy = Object.freeze({ mode: "redact", dropParams: Object.freeze([]) });

export const REDACTION_MARKS: Readonly<Record<PiiKind, string>> = {
  email: "REDACTED_EMAIL",
  phone: "REDACTED_PHONE",
  card: "REDACTED_CARD",
  secret: "REDACTED_SECRET",
};

/** The kind a value is taken for when its name alone marks it sensitive. */
function kindOfName(name: string): PiiKind {
  const n = name.toLowerCase();
  if (n.includes("mail")) return "email";
  if (n === "phone" || n === "tel" || n === "mobile") return "phone";
  if (n === "card" || n === "card_number" || n === "cc") return "card";
  return "secret";
}

function protect(value: string, kind: PiiKind, policy: PiiPolicy): string {
  return policy.mode === "encrypt" && policy.key ? sealValue(value, policy.key) : REDACTION_MARKS[kind];
}

/** `text` with every match of the detectors protected; the same string when none. */
export function scrubText(text: string, policy: PiiPolicy): string {
  if (text === "") return text;
  const matches = findPii(text);
  if (matches.length === 0) return text;
  let out = "";
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + protect(text.slice(match.start, match.end), match.kind, policy);
    at = match.end;
  }
  return out + text.slice(at);
}

function decode(text: string): string | undefined {
  if (!text.includes("%") && !text.includes("+")) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** A query string or fragment of `name=value` pairs, scrubbed pair by pair. */
function scrubPairs(pairs: string, policy: PiiPolicy): string {
  const kept: string[] = [];
  for (const pair of pairs.split("&")) {
    const eq = pair.indexOf("=");
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? "" : pair.slice(eq + 1);
    const name = decode(rawName) ?? rawName;
    if (policy.dropParams.includes(name.toLowerCase())) continue;
    if (rawValue === "") {
      kept.push(scrubText(pair, policy));
      continue;
    }
    const value = decode(rawValue);
    let next: string;
    if (value === undefined) next = scrubText(rawValue, policy);
    else if (isSensitiveName(name)) next = encodeURIComponent(protect(value, kindOfName(name), policy));
    else {
      const scrubbed = scrubText(value, policy);
      next = scrubbed === value ? rawValue : encodeURIComponent(scrubbed);
    }
    kept.push(`${rawName}=${next}`);
  }
  return kept.join("&");
}

/** Whether a URL's (decoded) text shows nothing that might be personal data; once per text. */
function holdsNothing(url: string): boolean {
  const facts = urlFacts(url);
  if (facts.holdsNothing === undefined) {
    const probe = url.includes("%") ? (decode(url) ?? url) : url;
    facts.holdsNothing = !MIGHT_HOLD_PII.test(probe) && !SENSITIVE_PARAMETER.test(probe);
  }
  return facts.holdsNothing;
}

/**
 * A URL with its query parameters and fragment scrubbed (sensitive names protected whole,
 * `dropParams` removed, other values searched), user info dropped, and the path searched
 * (decoded where it is percent-encoded). Anything else is left exactly as it was.
 */
export function scrubUrl(url: string, policy: PiiPolicy): string {
  if (url === "") return url;
  // Most URLs hold nothing to protect: one look at the whole (decoded) text says so.
  if (policy.dropParams.length === 0 && holdsNothing(url)) return url;
  const hashAt = url.indexOf("#");
  const beforeHash = hashAt < 0 ? url : url.slice(0, hashAt);
  const fragment = hashAt < 0 ? undefined : url.slice(hashAt + 1);
  const queryAt = beforeHash.indexOf("?");
  let base = queryAt < 0 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt < 0 ? undefined : beforeHash.slice(queryAt + 1);
  // https://user:password@host/ : the user info is a credential, never kept.
  base = base.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/, "$1");
  if (base.includes("%")) {
    base = base
      .split("/")
      .map((segment) => {
        const decoded = decode(segment);
        if (decoded === undefined || decoded === segment) return scrubText(segment, policy);
        const scrubbed = scrubText(decoded, policy);
        return scrubbed === decoded ? segment : encodeURIComponent(scrubbed);
      })
      .join("/");
  } else {
    base = scrubText(base, policy);
  }
  let out = base;
  if (query !== undefined) out += `?${scrubPairs(query, policy)}`;
  if (fragment !== undefined)
    out += `#${fragment.includes("=") ? scrubPairs(fragment, policy) : scrubText(fragment, policy)}`;
  return out;
}

function looksLikeUrl(value: string): boolean {
  return value.startsWith("http://") || value.startsWith("https://") || value.startsWith("/");
}

/** Property or header values: sensitive names protected whole, URLs as URLs, other text searched. */
function scrubMap(map: Record<string, string>, policy: PiiPolicy): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const name in map) {
    const value = map[name] as string;
    const next =
      value === ""
        ? value
        : isSensitiveName(name)
          ? protect(value, kindOfName(name), policy)
          : looksLikeUrl(value)
            ? scrubUrl(value, policy)
            : scrubText(value, policy);
    if (next !== value) {
      out ??= { ...map };
      out[name] = next;
    }
  }
  return out ?? map;
}

/**
 * The event with personal data kept out of its URL, referrer, custom properties and headers
 * (which is where query parameters, UTM terms, landing and referrer paths are derived from).
 * Visitor, session and click ids are kept as sent: they are the keys deletions work on.
 */
export function scrubEvent(event: ValidEvent, policy: PiiPolicy): ValidEvent {
  if (policy.mode === "disabled") return event;
  const url = scrubUrl(event.url, policy);
  const referrer = scrubUrl(event.referrer, policy);
  const properties = scrubMap(event.properties, policy);
  const headers = scrubMap(event.headers, policy);
  if (url === event.url && referrer === event.referrer && properties === event.properties && headers === event.headers)
    return event;
  return { ...event, url, referrer, properties, headers };
}
