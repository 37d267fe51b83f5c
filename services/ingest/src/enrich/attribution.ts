import { urlFacts } from "../domain/url-facts.js";
import { type CampaignParams, readCampaignParams } from "./campaign-params.js";
import { channelOf } from "./channel.js";
import { findClickId, type UrlClickId } from "./click-ids.js";
import type { ReferrerClassifier } from "./referrer.js";
import type { ReferrerSources } from "./referrer-sources.js";
import type { AttributionFacts } from "./types.js";
import { parseUrl, type UrlParts } from "./url-parts.js";

export interface AttributionInput {
  url: string;
  referrer: string;
  clickId: string;
}

export interface Attributor {
  attribute(input: AttributionInput): AttributionFacts;
}

const NOT_SET = "(not set)";

/** What a landing URL says, from its text alone; its parameters are shared, read-only. */
export interface LandingFacts {
  landing: UrlParts | undefined;
  params: Record<string, string>;
  utm: CampaignParams;
  urlClickId: UrlClickId | undefined;
}

function readLanding(url: string): LandingFacts {
  const landing = parseUrl(url);
  const params: Record<string, string> = Object.freeze(landing?.params ?? Object.create(null));
  return { landing, params, utm: readCampaignParams(params), urlClickId: findClickId(params) };
}

/** A landing URL's facts, worked out once per text (URLs repeat across a site's traffic). */
function landingOf(url: string): LandingFacts {
  const facts = urlFacts(url);
  facts.landing ??= readLanding(url);
  return facts.landing;
}

/** A referrer's host and path (no parameters), once per text; undefined when it is not an absolute URL. */
function referrerOf(referrer: string): UrlParts | undefined {
  const facts = urlFacts(referrer);
  if (facts.referrer === undefined) facts.referrer = parseUrl(referrer, false) ?? null;
  return facts.referrer ?? undefined;
}

/**
 * Source and medium come, field by field, from the UTM parameters, then from an ad-platform click id in the URL, then
 * from the referrer. When a campaign names only one of utm_source and utm_medium (and no click id fills the other),
 * the other is "(not set)" rather than borrowed from the referrer, which would pair unrelated values.
 */
export function createAttributor(sources: ReferrerSources, classifier: ReferrerClassifier): Attributor {
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
