import { memoize } from "../domain/memo.js";
import { readCampaignParams } from "./campaign-params.js";
import { channelOf } from "./channel.js";
import { findClickId } from "./click-ids.js";
import type { ReferrerClassifier } from "./referrer.js";
import type { ReferrerSources } from "./referrer-sources.js";
import type { AttributionFacts } from "./types.js";
import { parseUrl } from "./url-parts.js";

export interface AttributionInput {
  url: string;
  referrer: string;
  clickId: string;
}

export interface Attributor {
  attribute(input: AttributionInput): AttributionFacts;
}

const NOT_SET = "(not set)";

/**
 * Source and medium come, field by field, from the UTM parameters, then from an ad-platform click id in the URL, then
 * from the referrer. When a campaign names only one of utm_source and utm_medium (and no click id fills the other),
 * the other is "(not set)" rather than borrowed from the referrer, which would pair unrelated values.
 */
/** Entries each memo of the attributor keeps: URLs repeat across a site's traffic. */
const MEMO_ENTRIES = 20_000;

export function createAttributor(sources: ReferrerSources, classifier: ReferrerClassifier): Attributor {
  // What a landing URL says depends on its text alone; its parameters are shared, read-only.
  const landingOf = memoize((url) => {
    const landing = parseUrl(url);
    const params: Record<string, string> = Object.freeze(landing?.params ?? Object.create(null));
    return { landing, params, utm: readCampaignParams(params), urlClickId: findClickId(params) };
  }, MEMO_ENTRIES);
  const referrerOf = memoize((referrer) => parseUrl(referrer, false), MEMO_ENTRIES);
  return {
    attribute({ url, referrer, clickId }) {
      const { landing, params, utm, urlClickId } = landingOf(url);
      const referred = classifier.classify(referrerOf(referrer), referrer !== "", landing?.host ?? "");

      const tagged = utm.source !== "" || utm.medium !== "";
      const source = utm.source || urlClickId?.source || (tagged ? NOT_SET : referred.source);
      const medium = utm.medium || urlClickId?.medium || (tagged ? NOT_SET : referred.medium);
      const explicitId = clickId.trim();
      let clickIdType = urlClickId?.type ?? "";
      if (explicitId !== "" && explicitId !== urlClickId?.value) clickIdType = "";

      return {
        source,
        medium,
        campaign: utm.campaign,
        term: utm.term,
        content: utm.content,
        clickId: explicitId || urlClickId?.value || "",
        clickIdType,
        channel: channelOf({ source, medium, sourceClass: sources.classOfSource(source) }),
        referrerClass: referred.referrerClass,
        referrerHost: referred.host,
        referrerPath: referred.path,
        landingHost: landing?.host ?? "",
        landingPath: landing?.path ?? "",
        queryParams: params,
      };
    },
  };
}
