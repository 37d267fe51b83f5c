import { describe, expect, it } from "vitest";
import { CRAWLERS, classifyLanding, type GeneratedEvent } from "../../src/index.js";
import { groupBy, smallRun } from "./helpers.js";

const MINUTE = 60_000;
const DAY = 86_400_000;
const crawlerAgents = new Set(CRAWLERS.map((c) => c.userAgent));

function humanVisitors(): Map<string, GeneratedEvent[]> {
  const { events, truth } = smallRun();
  const fraudIps = new Set(truth.organizations.flatMap((o) => o.fraudBursts.flatMap((b) => b.ips)));
  return groupBy(
    events.filter((e) => !crawlerAgents.has(e.userAgent) && !fraudIps.has(e.ip)),
    (e) => e.visitorId,
  );
}

describe("visitor journeys", () => {
  it("keep each journey in time order, session after session, within 30 days", () => {
    let multiSession = 0;
    const problems: string[] = [];
    for (const [visitor, events] of humanVisitors()) {
      const sessions = [...groupBy(events, (e) => e.sessionId).values()];
      let previousEnd = Number.NEGATIVE_INFINITY;
      for (const session of sessions) {
        const times = session.map((e) => e.time.getTime());
        for (let j = 1; j < times.length; j++) {
          const gap = (times[j] as number) - (times[j - 1] as number);
          if (gap < 0 || gap >= 30 * MINUTE) problems.push(`${visitor}: ${gap} ms between events of a session`);
        }
        // A new session starts only after 30 minutes of inactivity.
        if ((times[0] as number) <= previousEnd + 30 * MINUTE) problems.push(`${visitor}: sessions overlap`);
        previousEnd = times.at(-1) as number;
      }
      const span = (events.at(-1) as GeneratedEvent).time.getTime() - (events[0] as GeneratedEvent).time.getTime();
      if (span > 30 * DAY + 30 * MINUTE) problems.push(`${visitor}: journey of ${span / DAY} days`);
      if (sessions.length > 1) multiSession++;
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(multiSession).toBeGreaterThan(1_000);
  });

  it("cross channels: returning visitors come back through other channels than they arrived by", () => {
    let switched = 0;
    let returning = 0;
    for (const events of humanVisitors().values()) {
      const channels = [...groupBy(events, (e) => e.sessionId).values()].map((s) =>
        classifyLanding((s[0] as GeneratedEvent).url, (s[0] as GeneratedEvent).referrer),
      );
      for (const channel of channels) expect(channel).not.toBeNull();
      if (channels.length > 1) {
        returning++;
        if (new Set(channels).size > 1) switched++;
      }
    }
    expect(switched / returning).toBeGreaterThan(0.5);
  });

  it("begin each session with its landing and continue on the site with internal referrers", () => {
    const problems: string[] = [];
    for (const events of humanVisitors().values()) {
      for (const session of groupBy(events, (e) => e.sessionId).values()) {
        const landing = session[0] as GeneratedEvent;
        if (landing.type !== "click" && landing.type !== "pageview") problems.push(`starts with ${landing.type}`);
        const host = new URL(landing.url).hostname;
        let landed = landing.type === "pageview";
        for (const e of session.slice(1)) {
          if (!landed) {
            // A tracked ad click is followed by the page view of the same landing URL.
            if (e.type !== "pageview" || e.url !== landing.url || e.referrer !== landing.referrer) {
              problems.push(`click on ${landing.url} followed by ${e.type} of ${e.url}`);
            }
            landed = true;
          } else if ((e.type === "pageview" || e.type === "conversion") && new URL(e.referrer).hostname !== host) {
            problems.push(`${e.type} of ${e.url} with referrer ${e.referrer}`);
          }
        }
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it("converts later in journeys: returning sessions convert more often than first visits", () => {
    let firstSessions = 0;
    let firstConversions = 0;
    let laterSessions = 0;
    let laterConversions = 0;
    for (const events of humanVisitors().values()) {
      [...groupBy(events, (e) => e.sessionId).values()].forEach((session, i) => {
        const converted = session.some((e) => e.type === "conversion");
        if (i === 0) {
          firstSessions++;
          if (converted) firstConversions++;
        } else {
          laterSessions++;
          if (converted) laterConversions++;
        }
      });
    }
    expect(laterConversions / laterSessions).toBeGreaterThan(1.5 * (firstConversions / firstSessions));
  });
});
