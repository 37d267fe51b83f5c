import { isbotMatch } from "isbot";
import type { BotFacts } from "./types.js";

const TOKEN_END = /[\s;(),/[\]]/;

/**
 * A crawler user agent per isbot; an empty user agent is a bot too (no browser sends none). The name is the
 * product token around isbot's match ("Googlebot/2.1" → "Googlebot"), since isbot reports only the matching
 * fragment.
 */
export function detectBot(userAgent: string): BotFacts {
  if (userAgent.trim() === "") return { isBot: true, botName: "" };
  const match = isbotMatch(userAgent);
  if (match === null) return { isBot: false, botName: "" };
  return { isBot: true, botName: productTokenAround(userAgent, match) };
}

function productTokenAround(userAgent: string, match: string): string {
  const at = userAgent.indexOf(match);
  if (at < 0) return match;
  let start = at;
  while (start > 0 && !TOKEN_END.test(userAgent.charAt(start - 1))) start -= 1;
  let end = at;
  while (end < userAgent.length && !TOKEN_END.test(userAgent.charAt(end))) end += 1;
  const token = userAgent.slice(start, end).replace(/^\++/, "");
  return token === "" ? match.trim() : token;
}
