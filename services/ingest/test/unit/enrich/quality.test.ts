import { describe, expect, it } from "vitest";
import { QUALITY_PENALTIES, type QualityInput, qualityScore } from "../../../src/enrich/quality.js";

const clean: QualityInput = {
  type: "click",
  fraudScore: 0,
  isBot: false,
  deviceType: "desktop",
  missingIp: false,
  unknownCountry: false,
  unattributed: false,
  missingUrl: false,
};

describe("quality score", () => {
  it("documents its penalties", () => {
    expect(QUALITY_PENALTIES).toEqual({
      bot: 30,
      unattributedClick: 15,
      missingUrl: 10,
      unknownDevice: 10,
      missingIp: 10,
      unknownCountry: 5,
    });
  });

  it("is 100 for a clean event", () => {
    expect(qualityScore(clean)).toBe(100);
  });

  it("takes half the fraud score, rounded down", () => {
    expect(qualityScore({ ...clean, fraudScore: 15 })).toBe(93);
    expect(qualityScore({ ...clean, fraudScore: 100 })).toBe(50);
  });

  it.each([
    [{ isBot: true }, 70],
    [{ unattributed: true }, 85],
    [{ missingUrl: true }, 90],
    [{ deviceType: "other" as const }, 90],
    [{ missingIp: true }, 90],
    [{ unknownCountry: true }, 95],
    [{ missingIp: true, unknownCountry: true }, 90],
  ])("applies %o", (change, expected) => {
    expect(qualityScore({ ...clean, ...change })).toBe(expected);
  });

  it("penalises an unattributed event only when it is a click, and a missing URL only on clicks and page views", () => {
    expect(qualityScore({ ...clean, type: "pageview", unattributed: true })).toBe(100);
    expect(qualityScore({ ...clean, type: "pageview", missingUrl: true })).toBe(90);
    expect(qualityScore({ ...clean, type: "conversion", unattributed: true, missingUrl: true })).toBe(100);
    expect(qualityScore({ ...clean, type: "custom", missingUrl: true })).toBe(100);
  });

  it("never goes below 0", () => {
    expect(
      qualityScore({
        ...clean,
        fraudScore: 100,
        isBot: true,
        deviceType: "other",
        unattributed: true,
        missingUrl: true,
        missingIp: true,
      }),
    ).toBe(0);
  });
});
