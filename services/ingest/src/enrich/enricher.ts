import { ValidationError } from "@trellis/platform";
import { createAttributor } from "./attribution.js";
import { createHostingNetworkCheck } from "./datacenter.js";
import { scoreFraud } from "./fraud.js";
import { createGeoLocator, UNKNOWN_GEO } from "./geo.js";
import { hasInconsistentHeaders, hasMissingHeaders } from "./header-checks.js";
import { createIpPrivacy, MIN_IP_HASH_KEY_LENGTH, NO_IP } from "./ip-privacy.js";
import { createNetworkResolver } from "./network.js";
import { qualityScore } from "./quality.js";
import { createReferrerClassifier } from "./referrer.js";
import { loadReferrerSources } from "./referrer-sources.js";
import { createTimingCheck } from "./timing.js";
import type { Enricher, EnricherOptions, Enrichment, FraudFlag, RawEventInput, VelocityOptions } from "./types.js";
import { createUserAgentAnalyzer } from "./user-agent.js";
import { createSlidingWindowCounter } from "./velocity.js";

export const DEFAULT_VELOCITY: Readonly<VelocityOptions> = Object.freeze({
  windowSeconds: 60,
  maxEventsPerIp: 300,
  maxEntries: 100_000,
});

export const DEFAULT_USER_AGENT_CACHE_SIZE = 10_000;

const MAX_TRACKED_SESSIONS = 100_000;
const MAX_CACHED_ADDRESSES = 100_000;

export async function createEnricher(options: EnricherOptions): Promise<Enricher> {
  const velocityOptions = { ...DEFAULT_VELOCITY, ...options.velocity };
  validate(options, velocityOptions);

  const [geo, sources] = await Promise.all([
    createGeoLocator({ cityDatabasePath: options.cityDatabasePath, asnDatabasePath: options.asnDatabasePath }),
    loadReferrerSources(),
  ]);
  const attributor = createAttributor(sources, createReferrerClassifier(sources, options.internalHosts));
  const userAgents = createUserAgentAnalyzer(options.userAgentCacheSize ?? DEFAULT_USER_AGENT_CACHE_SIZE);
  const network = createNetworkResolver(
    createIpPrivacy(options.ipHashKey),
    geo,
    createHostingNetworkCheck(),
    MAX_CACHED_ADDRESSES,
  );
  const velocity = createSlidingWindowCounter(velocityOptions.windowSeconds * 1000, velocityOptions.maxEntries);
  const timing = createTimingCheck(MAX_TRACKED_SESSIONS);
  let closed = false;

  function enrich(event: RawEventInput, organizationId: string): Enrichment {
    if (closed) throw new Error("the enricher is closed");
    const address = network.resolve(event.ip);
    const ip = address?.ip;
    const place = address?.geo ?? UNKNOWN_GEO;
    const { device, bot, stored: storedDevice } = userAgents.analyze(event.userAgent);
    const attribution = attributor.attribute(event);

    const flags: FraudFlag[] = [];
    if (event.userAgent.trim() === "") flags.push("empty_user_agent");
    else if (bot.isBot) flags.push("crawler_ua");
    if (address?.hosting) flags.push("datacenter_network");
    if (ip && velocity.add(ip.hash, event.receivedAt.getTime()) > velocityOptions.maxEventsPerIp) {
      flags.push("ip_velocity");
    }
    if (hasMissingHeaders(device, bot.isBot, event.headers)) flags.push("missing_headers");
    if (hasInconsistentHeaders(device, event.headers)) flags.push("inconsistent_headers");
    if (timing.isImpossible(event, organizationId)) flags.push("impossible_timing");
    const fraud = scoreFraud(flags);

    // The facts of the address and the user agent are shared, frozen objects (cached per
    // address and per user agent), not copies: an enrichment is read, never changed.
    return {
      geo: place,
      device: storedDevice,
      attribution,
      bot,
      fraud,
      qualityScore: qualityScore({
        type: event.type,
        fraudScore: fraud.score,
        isBot: bot.isBot,
        deviceType: device.deviceType,
        missingIp: ip === undefined,
        unknownCountry: place.country === "",
        unattributed: attribution.channel === "direct" && attribution.clickId === "",
        missingUrl: attribution.landingHost === "",
      }),
      ip: ip ?? NO_IP,
    };
  }

  return {
    enrich,
    resolveAddresses(addresses) {
      if (closed) throw new Error("the enricher is closed");
      for (const address of addresses) network.resolve(address);
    },
    async close() {
      closed = true;
    },
  };
}

function validate(options: EnricherOptions, velocity: VelocityOptions): void {
  const violations: Array<{ field: string; reason: string }> = [];
  if (options.ipHashKey.length < MIN_IP_HASH_KEY_LENGTH) {
    violations.push({ field: "ipHashKey", reason: `expected at least ${MIN_IP_HASH_KEY_LENGTH} characters` });
  }
  for (const field of ["windowSeconds", "maxEventsPerIp", "maxEntries"] as const) {
    const value = velocity[field];
    if (!Number.isInteger(value) || value < 1) {
      violations.push({ field: `velocity.${field}`, reason: `expected a positive integer, got ${value}` });
    }
  }
  const cacheSize = options.userAgentCacheSize;
  if (cacheSize !== undefined && (!Number.isInteger(cacheSize) || cacheSize < 1)) {
    violations.push({ field: "userAgentCacheSize", reason: `expected a positive integer, got ${cacheSize}` });
  }
  if (violations.length > 0) throw new ValidationError(violations);
}
