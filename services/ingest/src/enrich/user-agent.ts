import { LRUCache } from "lru-cache";
import { detectBot } from "./bot.js";
import { type ParsedDevice, parseDevice } from "./device.js";
import type { BotFacts, DeviceFacts } from "./types.js";

export interface UserAgentFacts {
  device: Readonly<ParsedDevice>;
  bot: Readonly<BotFacts>;
  /** The device as an enrichment carries it (the stored fields only). */
  stored: Readonly<DeviceFacts>;
}

export interface UserAgentAnalyzer {
  /** The returned facts are shared between calls: copy before changing them. */
  analyze(userAgent: string): UserAgentFacts;
}

/** Longer user agents are parsed every time rather than cached: they are rare and would let one client fill memory. */
const MAX_CACHED_LENGTH = 512;

export function createUserAgentAnalyzer(maxEntries: number): UserAgentAnalyzer {
  const cache = new LRUCache<string, UserAgentFacts>({ max: maxEntries });

  function parse(userAgent: string): UserAgentFacts {
    const bot = detectBot(userAgent);
    const device = parseDevice(userAgent, bot.isBot);
    return Object.freeze({
      device: Object.freeze(device),
      bot: Object.freeze({ isBot: bot.isBot, botName: bot.botName }),
      stored: Object.freeze({
        deviceType: device.deviceType,
        browser: device.browser,
        browserVersion: device.browserVersion,
        os: device.os,
        osVersion: device.osVersion,
      }),
    });
  }

  return {
    analyze(userAgent) {
      if (userAgent.length > MAX_CACHED_LENGTH) return parse(userAgent);
      let facts = cache.get(userAgent);
      if (facts === undefined) {
        facts = parse(userAgent);
        cache.set(userAgent, facts);
      }
      return facts;
    },
  };
}
