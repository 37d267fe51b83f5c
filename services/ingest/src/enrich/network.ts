import type { GeoLocator } from "./geo.js";
import type { IpPrivacy } from "./ip-privacy.js";
import type { GeoFacts, IpFacts } from "./types.js";

export interface NetworkFacts {
  /** What an enrichment carries of the address: its anonymised form and keyed hash, never the address. */
  ip: Readonly<IpFacts>;
  geo: Readonly<GeoFacts>;
  /** The address belongs to a cloud or hosting provider's network. */
  hosting: boolean;
}

export interface NetworkResolver {
  /** undefined when the text is not an IP address. The returned facts are shared: copy before changing them. */
  resolve(ip: string): NetworkFacts | undefined;
}

/**
 * What an address tells, cached by its text: a visitor sends many events from one address, and the keyed hash and
 * the database lookups cost most of an enrichment. The raw address is a key of this in-memory cache only.
 */
export function createNetworkResolver(
  privacy: IpPrivacy,
  geo: GeoLocator,
  isHostingOrganization: (organization: string) => boolean,
  maxEntries: number,
): NetworkResolver {
  // A plain map that starts afresh when full: what it holds is a pure function of the text,
  // so forgetting costs a recomputation only, and a hit is one lookup (no recency upkeep).
  const cache = new Map<string, NetworkFacts>();
  return {
    resolve(ip) {
      if (ip === "") return undefined;
      const cached = cache.get(ip);
      if (cached !== undefined) return cached;
      const protectedIp = privacy.protect(ip);
      if (protectedIp === undefined) return undefined;
      const place = geo.lookup(protectedIp.address, protectedIp.version);
      const facts: NetworkFacts = Object.freeze({
        ip: Object.freeze({ anonymized: protectedIp.anonymized, hash: protectedIp.hash }),
        geo: Object.freeze(place),
        hosting: place.asOrganization !== "" && isHostingOrganization(place.asOrganization),
      });
      if (cache.size >= maxEntries) cache.clear();
      cache.set(ip, facts);
      return facts;
    },
  };
}
