import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findPii, luhn } from "../../src/domain/pii/detectors.js";
import { type PiiPolicy, REDACTION_MARKS, scrubEvent, scrubText, scrubUrl } from "../../src/domain/pii/scrub.js";
import { newDataKey, openValue, sealValue, unwrapDataKey, wrapDataKey } from "../../src/domain/pii/seal.js";
import type { ValidEvent } from "../../src/domain/validate.js";

const corpus = JSON.parse(readFileSync(new URL("../fixtures/pii-urls.json", import.meta.url), "utf8")) as Array<
  [string, string]
>;
const redact: PiiPolicy = { mode: "redact", dropParams: [] };

describe("the PII rules on a corpus of real-looking URLs", () => {
  it.each(corpus)("%s", (input, expected) => {
    expect(scrubUrl(input, redact)).toBe(expected);
  });

  it("drops an organization's always-dropped parameters whatever their value", () => {
    const policy: PiiPolicy = { mode: "redact", dropParams: ["mc_eid", "_hsenc"] };
    expect(scrubUrl("https://shop.example/?utm_source=mc&mc_eid=9f8e7d&_hsenc=p2ANqtz&x=1", policy)).toBe(
      "https://shop.example/?utm_source=mc&x=1",
    );
  });
});

describe("detectors", () => {
  it("find each kind in free text and nothing in ordinary text", () => {
    const text =
      "Mail jane@example.org or call +49 30 901820, card 5555 5555 5555 4444, token ghp_abcdefghijklmnopqrstuvwxyz0123";
    expect(findPii(text).map((m) => [m.kind, text.slice(m.start, m.end)])).toEqual([
      ["email", "jane@example.org"],
      ["phone", "+49 30 901820"],
      ["card", "5555 5555 5555 4444"],
      ["secret", "ghp_abcdefghijklmnopqrstuvwxyz0123"],
    ]);
    for (const plain of ["Order 1234567 shipped on 2026-03-01", "price 1,299.00 EUR", "v2.10.4 build 20260301", ""]) {
      expect(findPii(plain)).toEqual([]);
    }
  });

  it("Luhn accepts valid numbers and refuses one changed digit", () => {
    expect(luhn("4111111111111111")).toBe(true);
    expect(luhn("4111111111111112")).toBe(false);
    expect(luhn("79927398713")).toBe(true);
  });

  it("a millisecond timestamp is never taken for a card", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000_000_000, max: 2_000_000_000_000 }), (ms) => {
        expect(findPii(`t=${ms}`)).toEqual([]);
      }),
    );
  });

  it("text without any match comes back as the same string", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z /=&?.-]{0,80}$/), (text) => {
        expect(scrubText(text, redact)).toBe(text);
      }),
    );
  });
});

describe("events", () => {
  const event = (fields: Partial<ValidEvent>): ValidEvent =>
    ({
      index: 0,
      eventId: "e1",
      clientEventId: true,
      type: "pageview",
      name: "",
      time: new Date(0),
      url: "",
      referrer: "",
      userAgent: "Mozilla/5.0",
      ip: "",
      clickId: "",
      sessionId: "s",
      visitorId: "v",
      conversionName: "",
      value: 0,
      currency: "",
      properties: {},
      headers: {},
      ...fields,
    }) as ValidEvent;

  it("scrubs the URL, referrer, properties and headers, and keeps an event without PII as it was", () => {
    const clean = event({ url: "https://shop.example/?utm_source=x", properties: { plan: "pro" } });
    expect(scrubEvent(clean, redact)).toBe(clean);
    const dirty = scrubEvent(
      event({
        url: "https://shop.example/?email=a%40b.co",
        referrer: "https://mail.example/?to=a@b.co",
        properties: { email: "anything", note: "call (415) 555-2671", plan: "pro", next: "/account?token=abc" },
        headers: { "x-forwarded-email": "a@b.co", "accept-language": "en" },
      }),
      redact,
    );
    expect(dirty.url).toBe("https://shop.example/?email=REDACTED_EMAIL");
    expect(dirty.referrer).toBe("https://mail.example/?to=REDACTED_EMAIL");
    expect(dirty.properties).toEqual({
      email: REDACTION_MARKS.email,
      note: "call REDACTED_PHONE",
      plan: "pro",
      next: "/account?token=REDACTED_SECRET",
    });
    expect(dirty.headers).toEqual({ "x-forwarded-email": "REDACTED_EMAIL", "accept-language": "en" });
  });

  it("encrypts instead when the organization keeps PII encrypted, readable only with its key", () => {
    const key = newDataKey();
    const sealed = scrubEvent(event({ url: "https://shop.example/?note=jane@example.com" }), {
      mode: "encrypt",
      dropParams: [],
      key,
    });
    const value = new URL(sealed.url).searchParams.get("note") ?? "";
    expect(value).toMatch(/^pii1\.[a-z0-9]+\./);
    expect(openValue(value, new Map([[key.id, key]]))).toBe("jane@example.com");
    expect(() => openValue(value, new Map())).toThrow(/shredded or unknown/);
    const other = newDataKey();
    expect(() => openValue(value, new Map([[key.id, { ...other, id: key.id }]]))).toThrow();
  });
});

describe("data keys", () => {
  it("wrap with the master key, bound to their organization", () => {
    const master = new Uint8Array(32).fill(7);
    const key = newDataKey();
    const wrapped = wrapDataKey(key, master, "acme");
    expect(unwrapDataKey(key.id, wrapped, master, "acme").secret).toEqual(key.secret);
    expect(() => unwrapDataKey(key.id, wrapped, master, "globex")).toThrow();
    expect(() => unwrapDataKey(key.id, wrapped, new Uint8Array(32).fill(8), "acme")).toThrow();
    expect(sealValue("x", key)).not.toBe(sealValue("x", key));
  });
});
