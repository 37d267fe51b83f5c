import { describe, expect, it } from "vitest";
import {
  bonferroniThreshold,
  bucketInProgress,
  bucketKeys,
  isAlarm,
  judge,
  median,
  weeksBefore,
} from "../../src/anomalies/baseline.js";
import { botCategory } from "../../src/fraud/taxonomy.js";
import { validateWebhookUrl } from "../../src/schedules/validate.js";
import { refusedDestination } from "../../src/webhooks/destination.js";
import { signBody, verifySignature } from "../../src/webhooks/signature.js";

describe("the anomaly baseline", () => {
  it("raises the score needed with the number of buckets judged (Bonferroni) and ignores small moves", () => {
    expect(bonferroniThreshold(1, 0.05)).toBeCloseTo(1.96, 2);
    expect(bonferroniThreshold(30, 0.05)).toBeCloseTo(3.14, 2);
    expect(bonferroniThreshold(3000, 0.05)).toBeCloseTo(4.31, 2);
    // A 10 % move is not an alarm, whatever its score; a 30 % move with a high enough score is.
    expect(isAlarm({ key: "d", observed: 11_000, expected: 10_000, score: 2 }, 4, 0.2)).toBe(false);
    expect(isAlarm({ key: "d", observed: 11_000, expected: 10_000, score: 10 }, 4, 0.2)).toBe(false);
    expect(isAlarm({ key: "d", observed: 13_000, expected: 10_000, score: 6 }, 4, 0.2)).toBe(true);
    expect(isAlarm({ key: "d", observed: 7_000, expected: 10_000, score: -6 }, 4, 0.2)).toBe(true);
    expect(isAlarm({ key: "d", observed: 13_000, expected: 10_000, score: 3.9 }, 4, 0.2)).toBe(false);
  });

  it("compares a bucket with the same slot of the weeks before", () => {
    expect(weeksBefore("2024-06-20", 1)).toBe("2024-06-13");
    expect(weeksBefore("2024-03-31 02:00:00", 2)).toBe("2024-03-17 02:00:00");
    expect(bucketKeys("2024-06-01", "2024-06-02", "hour")).toHaveLength(48);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("scores against the median and MAD, not fooled by one past outlier, and skips a bucket without history", () => {
    const series = new Map([
      ["2024-05-09", 100],
      ["2024-05-16", 104],
      ["2024-05-23", 500], // a past spike the median ignores
      ["2024-05-30", 96],
      ["2024-06-06", 100],
      ["2024-06-13", 100],
      ["2024-06-20", 160],
    ]);
    const [judged] = judge(series, ["2024-06-20"], "2024-05-09");
    expect(judged?.expected).toBe(100);
    // MAD of |100,104,500,96,100,100 − 100| is 0 → the √100 floor: (160 − 100) / 10.
    expect(judged?.score).toBe(6);
    expect(judge(series, ["2024-06-20"], "2024-06-01")).toEqual([]);
  });

  it("scores a drop on the ratio scale when a bursty past makes the count scale blind to it", () => {
    // Thursdays with two bursts: the counts' MAD is 200, so losing 80 % of a day scores only
    // (200 − 1050) / (1.4826 × 200) = −2.9 on counts.
    const series = new Map([
      ["2024-05-09", 900],
      ["2024-05-16", 1000],
      ["2024-05-23", 1600],
      ["2024-05-30", 1100],
      ["2024-06-06", 800],
      ["2024-06-13", 1500],
      ["2024-06-20", 200],
    ]);
    const [judged] = judge(series, ["2024-06-20"], "2024-05-09");
    expect(judged?.expected).toBe(1050);
    const logs = [900, 1000, 1600, 1100, 800, 1500].map(Math.log1p);
    const center = median(logs);
    const spread = 1.4826 * median(logs.map((v) => Math.abs(v - center)));
    expect(judged?.score).toBeCloseTo((Math.log1p(200) - center) / spread, 10);
    expect(judged?.score).toBeLessThan(-4);
    // A tripled day on the same past: on counts (3150 − 1050) / 296.5 = 7.1, further out than
    // its ratio score, so the count score stands.
    const spike = judge(new Map([...series, ["2024-06-20", 3150]]), ["2024-06-20"], "2024-05-09")[0];
    expect(spike?.score).toBeCloseTo((3150 - 1050) / (1.4826 * 200), 10);
    expect((Math.log1p(3150) - center) / spread).toBeLessThan(spike?.score ?? 0);
  });

  it("scores small counts on counts alone: a move to zero is not far out on ratios there", () => {
    // Nine sessions expected, none came: −9 / √9 = −3 on counts; on ratios it would be
    // (ln 1 − ln 10) · 3 = −6.9, more than Poisson noise makes of it.
    const series = new Map([
      ["2024-05-09", 9],
      ["2024-05-16", 9],
      ["2024-05-23", 9],
      ["2024-05-30", 9],
      ["2024-06-06", 9],
      ["2024-06-13", 9],
      ["2024-06-20", 0],
    ]);
    expect(judge(series, ["2024-06-20"], "2024-05-09")[0]?.score).toBe(-3);
    // Fifty expected, none came: the ratio scale counts (−50 / √50 = −7.1 on counts).
    const larger = new Map([...series].map(([key, value]) => [key, value === 0 ? 0 : 50]));
    expect(judge(larger, ["2024-06-20"], "2024-05-09")[0]?.score).toBeCloseTo(-Math.log1p(50) * Math.sqrt(50), 10);
  });

  it("names the bucket in progress in the range's zone, which is not judged", () => {
    const now = new Date("2024-06-20T22:30:00Z");
    expect(bucketInProgress(now, "UTC", "day")).toBe("2024-06-20");
    expect(bucketInProgress(now, "UTC", "hour")).toBe("2024-06-20 22:00:00");
    expect(bucketInProgress(now, "Europe/Berlin", "day")).toBe("2024-06-21");
    expect(bucketInProgress(now, "Europe/Berlin", "hour")).toBe("2024-06-21 00:00:00");
    expect(bucketInProgress(now, "America/Los_Angeles", "hour")).toBe("2024-06-20 15:00:00");
    expect(bucketInProgress(new Date("2024-06-20T00:00:00Z"), "UTC", "hour")).toBe("2024-06-20 00:00:00");
  });
});

describe("the crawler taxonomy", () => {
  it("names the kind of each automated client", () => {
    expect(botCategory("Googlebot", "")).toBe("search_crawler");
    expect(botCategory("GPTBot", "")).toBe("ai_agent");
    expect(botCategory("SemrushBot", "")).toBe("seo_tool");
    expect(botCategory("UptimeRobot", "")).toBe("monitoring");
    expect(botCategory("facebookexternalhit", "")).toBe("social_preview");
    expect(botCategory("", "Mozilla/5.0 HeadlessChrome/120.0")).toBe("automation");
    expect(botCategory("SomethingBot", "SomethingBot/1.0")).toBe("other_bot");
  });
});

describe("webhooks", () => {
  it("signs the timestamp and body, and a changed body or secret does not verify", () => {
    const header = signBody("whsec_test", '{"a":1}', new Date("2024-06-01T00:00:00Z"));
    expect(header).toMatch(/^t=1717200000,v1=[0-9a-f]{64}$/);
    expect(verifySignature("whsec_test", '{"a":1}', header)).toBe(true);
    expect(verifySignature("whsec_test", '{"a":2}', header)).toBe(false);
    expect(verifySignature("whsec_other", '{"a":1}', header)).toBe(false);
  });

  it("takes HTTPS URLs to public hosts, and plain HTTP to loopback only where allowed", () => {
    const strict = { allowLoopback: false };
    const beside = { allowLoopback: true };
    expect(validateWebhookUrl("https://hooks.example.com/x", strict)).toBe("https://hooks.example.com/x");
    expect(validateWebhookUrl("http://127.0.0.1:9000/x", beside)).toBe("http://127.0.0.1:9000/x");
    for (const url of [
      "http://127.0.0.1:9000/x",
      "https://localhost/x",
      "https://127.0.0.1/x",
      "https://10.0.0.8/x",
      "https://172.20.1.1/x",
      "https://192.168.1.1/x",
      "https://169.254.169.254/x",
      "https://100.64.0.1/x",
      "https://[::1]/x",
      "https://[fe80::1]/x",
      "https://[::ffff:10.0.0.1]/x",
    ])
      expect(() => validateWebhookUrl(url, strict), url).toThrow();
    expect(() => validateWebhookUrl("http://hooks.example.com/x", beside)).toThrow();
    expect(() => validateWebhookUrl("http://10.0.0.8/x", beside)).toThrow();
    expect(() => validateWebhookUrl("https://user:pw@hooks.example.com/x", strict)).toThrow();
  });

  it("refuses a delivery whose host resolves to an internal address, at the time of delivery", async () => {
    const strict = { allowLoopback: false };
    expect(await refusedDestination(new URL("https://localhost:9/x"), strict)).toMatch(/internal address/);
    expect(await refusedDestination(new URL("https://[::ffff:192.168.0.1]/x"), strict)).toMatch(/internal address/);
    expect(await refusedDestination(new URL("https://93.184.215.14/x"), strict)).toBeUndefined();
    expect(await refusedDestination(new URL("http://127.0.0.1:9/x"), { allowLoopback: true })).toBeUndefined();
  });
});
