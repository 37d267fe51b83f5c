import { ValidationError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { asOfRulesetVersion, MAX_RULESET_VERSION } from "../../src/domain/ruleset-version.js";

describe("asOfRulesetVersion", () => {
  it("reads the versions a number holds exactly", () => {
    expect(asOfRulesetVersion(0n)).toBe(0);
    expect(asOfRulesetVersion(42n)).toBe(42);
    expect(asOfRulesetVersion(BigInt(MAX_RULESET_VERSION))).toBe(9_007_199_254_740_991);
  });

  it.each([2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, -1n])("refuses %s, naming the field and the range", (value) => {
    try {
      asOfRulesetVersion(value, "report.as_of_ruleset_version");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations).toEqual([
        {
          field: "report.as_of_ruleset_version",
          reason: "must be a whole number from 0 (the current ruleset) to 9007199254740991",
        },
      ]);
    }
  });
});
