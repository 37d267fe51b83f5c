import { type AddressBlock, createAddressBlock } from "./ip-addresses.js";
import type { Random } from "./prng.js";
import { createWeightedChoice, type WeightedChoice } from "./weighted.js";

/**
 * Where visitors come from. The address blocks are large allocations of each country's big
 * residential and mobile ISPs (approximate: a geo database may place a few hosts of a block
 * elsewhere, and none of them is a hosting network).
 */
export interface Country {
  readonly code: string;
  /** Share of a global site's visitors. */
  readonly weight: number;
  /** Main time zone as a whole-hour offset from UTC (standard time; daylight saving is ignored). */
  readonly utcOffsetHours: number;
  /** Accept-Language values, the most common first. */
  readonly languages: readonly string[];
  readonly currency: string;
  /** Units of `currency` per US dollar, roughly. */
  readonly perUsd: number;
  /** Google's search host for the country (the referrer of organic and paid Google clicks). */
  readonly googleHost: string;
  /** Top-level domain of local businesses' sites. */
  readonly tld: string;
  readonly ipv6Share: number;
  readonly ipv4: readonly AddressBlock[];
  readonly ipv6: readonly AddressBlock[];
}

interface CountryData extends Omit<Country, "ipv4" | "ipv6"> {
  ipv4: string[];
  ipv6: string[];
}

const data: CountryData[] = [
  {
    code: "US",
    weight: 38,
    utcOffsetHours: -5,
    languages: ["en-US,en;q=0.9", "en-US", "en-US,en;q=0.9,es;q=0.8", "en-US,en;q=0.5"],
    currency: "USD",
    perUsd: 1,
    googleHost: "www.google.com",
    tld: ".com",
    ipv6Share: 0.3,
    ipv4: ["73.0.0.0/8", "98.192.0.0/10", "68.32.0.0/11", "174.192.0.0/10", "172.32.0.0/11"],
    ipv6: ["2601::/20", "2607:fb90::/32"],
  },
  {
    code: "GB",
    weight: 8,
    utcOffsetHours: 0,
    languages: ["en-GB,en-US;q=0.9,en;q=0.8", "en-GB,en;q=0.9", "en-GB"],
    currency: "GBP",
    perUsd: 0.79,
    googleHost: "www.google.co.uk",
    tld: ".co.uk",
    ipv6Share: 0.25,
    ipv4: ["86.128.0.0/10", "81.128.0.0/12", "82.0.0.0/11"],
    ipv6: ["2a00:23c0::/27"],
  },
  {
    code: "DE",
    weight: 8,
    utcOffsetHours: 1,
    languages: ["de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "de-DE,de;q=0.9", "de,en-US;q=0.7,en;q=0.3"],
    currency: "EUR",
    perUsd: 0.92,
    googleHost: "www.google.de",
    tld: ".de",
    ipv6Share: 0.35,
    ipv4: ["79.192.0.0/10", "91.0.0.0/10", "84.128.0.0/10", "93.192.0.0/10"],
    ipv6: ["2003::/19"],
  },
  {
    code: "FR",
    weight: 6,
    utcOffsetHours: 1,
    languages: ["fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr-FR,fr;q=0.9", "fr,fr-FR;q=0.8,en-US;q=0.5,en;q=0.3"],
    currency: "EUR",
    perUsd: 0.92,
    googleHost: "www.google.fr",
    tld: ".fr",
    ipv6Share: 0.4,
    ipv4: ["90.0.0.0/9", "78.192.0.0/10", "176.128.0.0/10"],
    ipv6: ["2a01:cb00::/24", "2a01:e00::/26"],
  },
  {
    code: "CA",
    weight: 4,
    utcOffsetHours: -5,
    languages: ["en-CA,en-US;q=0.9,en;q=0.8", "fr-CA,fr;q=0.9,en-CA;q=0.8,en;q=0.7", "en-CA"],
    currency: "CAD",
    perUsd: 1.37,
    googleHost: "www.google.ca",
    tld: ".ca",
    ipv6Share: 0.25,
    ipv4: ["99.224.0.0/11", "174.88.0.0/13", "142.112.0.0/13"],
    ipv6: ["2607:fea8::/32"],
  },
  {
    code: "AU",
    weight: 3,
    utcOffsetHours: 10,
    languages: ["en-AU,en-GB;q=0.9,en;q=0.8", "en-AU,en;q=0.9", "en-AU"],
    currency: "AUD",
    perUsd: 1.52,
    googleHost: "www.google.com.au",
    tld: ".com.au",
    ipv6Share: 0.2,
    ipv4: ["1.120.0.0/13", "101.160.0.0/11", "120.144.0.0/13"],
    ipv6: ["2001:8003::/32"],
  },
  {
    code: "NL",
    weight: 3,
    utcOffsetHours: 1,
    languages: ["nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", "nl-NL,nl;q=0.9", "en-US,en;q=0.9,nl;q=0.8"],
    currency: "EUR",
    perUsd: 0.92,
    googleHost: "www.google.nl",
    tld: ".nl",
    ipv6Share: 0.25,
    ipv4: ["77.160.0.0/12", "84.24.0.0/13"],
    ipv6: ["2a02:a440::/29"],
  },
  {
    code: "ES",
    weight: 3,
    utcOffsetHours: 1,
    languages: ["es-ES,es;q=0.9", "es-ES,es;q=0.9,en;q=0.8", "es,en-US;q=0.7,en;q=0.3"],
    currency: "EUR",
    perUsd: 0.92,
    googleHost: "www.google.es",
    tld: ".es",
    ipv6Share: 0.1,
    ipv4: ["83.32.0.0/11", "88.0.0.0/11"],
    ipv6: ["2a0c:5a80::/29"],
  },
  {
    code: "IT",
    weight: 3,
    utcOffsetHours: 1,
    languages: ["it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7", "it-IT,it;q=0.9", "it,en-US;q=0.7,en;q=0.3"],
    currency: "EUR",
    perUsd: 0.92,
    googleHost: "www.google.it",
    tld: ".it",
    ipv6Share: 0.1,
    ipv4: ["79.0.0.0/10", "93.32.0.0/12"],
    ipv6: ["2001:b07::/32"],
  },
  {
    code: "SE",
    weight: 2,
    utcOffsetHours: 1,
    languages: ["sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", "sv-SE,sv;q=0.9", "en-US,en;q=0.9,sv;q=0.8"],
    currency: "SEK",
    perUsd: 10.7,
    googleHost: "www.google.se",
    tld: ".se",
    ipv6Share: 0.15,
    ipv4: ["78.64.0.0/12", "90.224.0.0/12"],
    ipv6: ["2001:2040::/32"],
  },
  {
    code: "PL",
    weight: 2,
    utcOffsetHours: 1,
    languages: ["pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7", "pl-PL,pl;q=0.9", "pl,en-US;q=0.7,en;q=0.3"],
    currency: "PLN",
    perUsd: 4,
    googleHost: "www.google.pl",
    tld: ".pl",
    ipv6Share: 0.15,
    ipv4: ["83.0.0.0/11"],
    ipv6: ["2a01:110f::/32"],
  },
  {
    code: "BR",
    weight: 5,
    utcOffsetHours: -3,
    languages: ["pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", "pt-BR,pt;q=0.9", "pt-BR"],
    currency: "BRL",
    perUsd: 5.1,
    googleHost: "www.google.com.br",
    tld: ".com.br",
    ipv6Share: 0.35,
    ipv4: ["177.0.0.0/10", "179.96.0.0/11", "189.0.0.0/11"],
    ipv6: ["2804::/16"],
  },
  {
    code: "MX",
    weight: 3,
    utcOffsetHours: -6,
    languages: ["es-MX,es-419;q=0.9,es;q=0.8,en;q=0.7", "es-MX,es;q=0.9", "es-419,es;q=0.9"],
    currency: "MXN",
    perUsd: 17,
    googleHost: "www.google.com.mx",
    tld: ".mx",
    ipv6Share: 0.3,
    ipv4: ["187.128.0.0/10", "201.96.0.0/11"],
    ipv6: ["2806:2f0::/32"],
  },
  {
    code: "IN",
    weight: 6,
    utcOffsetHours: 5,
    languages: [
      "en-IN,en-GB;q=0.9,en-US;q=0.8,en;q=0.7,hi;q=0.6",
      "en-US,en;q=0.9",
      "hi-IN,hi;q=0.9,en-US;q=0.8,en;q=0.7",
    ],
    currency: "INR",
    perUsd: 83,
    googleHost: "www.google.co.in",
    tld: ".in",
    ipv6Share: 0.5,
    ipv4: ["49.32.0.0/11", "117.192.0.0/10"],
    ipv6: ["2409:4000::/22"],
  },
  {
    code: "JP",
    weight: 4,
    utcOffsetHours: 9,
    languages: ["ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "ja", "ja-JP"],
    currency: "JPY",
    perUsd: 155,
    googleHost: "www.google.co.jp",
    tld: ".jp",
    ipv6Share: 0.3,
    ipv4: ["126.0.0.0/8", "153.128.0.0/9", "60.32.0.0/12"],
    ipv6: ["2400:4000::/22"],
  },
];

export const COUNTRIES: readonly Country[] = data.map((c) => ({
  ...c,
  ipv4: c.ipv4.map(createAddressBlock),
  ipv6: c.ipv6.map(createAddressBlock),
}));

/** A residential address of the country; IPv6 in the share the country's networks use it. */
export function residentialAddress(country: Country, rng: Random): string {
  const useV6 = country.ipv6.length > 0 && rng.chance(country.ipv6Share);
  return rng.pick(useV6 ? country.ipv6 : country.ipv4).randomAddress(rng);
}

/** A country's visitors, with `homeShare` of them from `home` and the rest from anywhere. */
export function createAudience(home: Country, homeShare: number): WeightedChoice<Country> {
  const totalWeight = COUNTRIES.reduce((sum, c) => sum + c.weight, 0);
  return createWeightedChoice(
    COUNTRIES.map((c) => [c, (1 - homeShare) * (c.weight / totalWeight) + (c === home ? homeShare : 0)] as const),
  );
}

/** Fraction digits of amounts in a currency. */
export function currencyDigits(currency: string): number {
  return currency === "JPY" ? 0 : 2;
}
