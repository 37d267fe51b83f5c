import type { ReferrerSources } from "./referrer-sources.js";
import type { ReferrerClass } from "./types.js";
import { stripWww, type UrlParts } from "./url-parts.js";

export interface ReferrerFacts {
  referrerClass: ReferrerClass;
  /** Source and medium that the referrer alone implies, in Google Analytics' conventions. */
  source: string;
  medium: string;
  host: string;
  path: string;
}

export interface ReferrerClassifier {
  /** `referrer` is undefined when the event had none or it was not an absolute URL (`hadText` tells which). */
  classify(referrer: UrlParts | undefined, hadText: boolean, landingHost: string): ReferrerFacts;
}

const MEDIUM_OF_CLASS = {
  search: "organic",
  social: "social",
  email: "email",
  paid: "display",
  other: "referral",
} as const;

const DIRECT: ReferrerFacts = Object.freeze({
  referrerClass: "direct",
  source: "(direct)",
  medium: "(none)",
  host: "",
  path: "",
});

const UNPARSEABLE: ReferrerFacts = Object.freeze({
  referrerClass: "other",
  source: "(not set)",
  medium: "referral",
  host: "",
  path: "",
});

export function createReferrerClassifier(
  sources: ReferrerSources,
  internalHosts: readonly string[] = [],
): ReferrerClassifier {
  const internal = internalHosts.map((host) => stripWww(host.trim().toLowerCase())).filter((host) => host !== "");

  function isInternal(host: string, landingHost: string): boolean {
    const bare = stripWww(host);
    if (landingHost !== "" && bare === stripWww(landingHost)) return true;
    for (const own of internal) {
      if (bare === own || bare.endsWith(`.${own}`)) return true;
    }
    return false;
  }

  return {
    classify(referrer, hadText, landingHost) {
      if (referrer === undefined) return hadText ? UNPARSEABLE : DIRECT;
      const { host, path } = referrer;
      if (host === "") return { ...UNPARSEABLE, path };
      if (isInternal(host, landingHost)) {
        return { referrerClass: "internal", source: "(internal)", medium: "internal", host, path };
      }
      const known = sources.lookup(host, path);
      if (known === undefined || known.referrerClass === "other") {
        return { referrerClass: "other", source: stripWww(host), medium: "referral", host, path };
      }
      return {
        referrerClass: known.referrerClass,
        source: known.source,
        medium: MEDIUM_OF_CLASS[known.referrerClass],
        host,
        path,
      };
    },
  };
}
