import { describe, expect, it } from "vitest";
import { FRAUD_WEIGHTS, scoreFraud } from "../../../src/enrich/fraud.js";
import type { FraudFlag } from "../../../src/enrich/types.js";

describe("fraud score", () => {
  it("documents one weight per flag", () => {
    expect(FRAUD_WEIGHTS).toEqual({
      crawler_ua: 40,
      empty_user_agent: 40,
      datacenter_network: 30,
      ip_velocity: 30,
      inconsistent_headers: 25,
      impossible_timing: 25,
      missing_headers: 15,
    });
  });

  it("is 0 without flags", () => {
    expect(scoreFraud([])).toEqual({ score: 0, flags: [] });
  });

  it("adds the weights of the flags", () => {
    expect(scoreFraud(["missing_headers", "inconsistent_headers"])).toEqual({
      score: 40,
      flags: ["missing_headers", "inconsistent_headers"],
    });
  });

  it("caps the score at 100 and keeps every flag", () => {
    const flags: FraudFlag[] = ["crawler_ua", "datacenter_network", "ip_velocity", "impossible_timing"];
    expect(scoreFraud(flags)).toEqual({ score: 100, flags });
  });
});
