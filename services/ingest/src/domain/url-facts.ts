import type { LandingFacts } from "../enrich/attribution.js";
import type { UrlParts } from "../enrich/url-parts.js";
import { memoize } from "./memo.js";

/**
 * What ingest works out from one URL's text (an event's URL or referrer): whether validation
 * takes it as it is, whether it may hold personal data, what attribution reads from it. Each
 * fact is a pure function of the text, computed the first time a stage asks for it and kept
 * with the text, so an event's URL costs one lookup however many stages read it.
 */
export class UrlFacts {
  /** An http(s) URL the URL parser takes (validation). */
  plainHttp: boolean | undefined = undefined;
  /** Nothing in the (decoded) text looks like personal data or names a sensitive parameter (scrubbing). */
  holdsNothing: boolean | undefined = undefined;
  /** The URL read as a landing page (attribution). */
  landing: LandingFacts | undefined = undefined;
  /** The URL read as a referrer, without its parameters; null when it is not an absolute URL (attribution). */
  referrer: UrlParts | null | undefined = undefined;
}

/**
 * The facts of URLs' texts. Traffic repeats a site's URLs, so most events find theirs; the
 * bound keeps memory flat (when full, the memo starts afresh and facts are worked out again).
 */
const factsOf = memoize(() => new UrlFacts(), 50_000);

/**
 * The last two texts asked for and their facts: the stages ask for an event's URL and referrer
 * in turn, each the same string, so most asks are answered without hashing the text again.
 */
let recentText = "";
let recentFacts: UrlFacts | undefined;
let otherText = "";
let otherFacts: UrlFacts | undefined;

export function urlFacts(text: string): UrlFacts {
  if (text === recentText && recentFacts !== undefined) return recentFacts;
  if (text === otherText && otherFacts !== undefined) {
    const facts = otherFacts;
    otherText = recentText;
    otherFacts = recentFacts;
    recentText = text;
    recentFacts = facts;
    return facts;
  }
  const facts = factsOf(text);
  otherText = recentText;
  otherFacts = recentFacts;
  recentText = text;
  recentFacts = facts;
  return facts;
}
