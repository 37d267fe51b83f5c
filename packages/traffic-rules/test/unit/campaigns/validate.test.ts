import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CampaignSchema, MatchOperator } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { validateCampaign } from "../../../src/campaigns/validate.js";

const conditions = [{ field: "source", operator: MatchOperator.EQUALS, values: ["google"] }];

function violations(campaign: Parameters<typeof create<typeof CampaignSchema>>[1]) {
  try {
    validateCampaign(create(CampaignSchema, campaign));
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).violations;
  }
  throw new Error("the campaign was accepted");
}

describe("campaign validation of times and text", () => {
  it("refuses rule windows outside the supported instants, naming each edge", () => {
    expect(
      violations({
        name: "Windows",
        rules: [
          { conditions, validFrom: { seconds: -62_167_219_200n, nanos: 0 } },
          { conditions, validUntil: { seconds: 253_402_300_799n, nanos: 0 } },
          { conditions, validFrom: timestampFromDate(new Date("1999-12-31T23:59:59Z")) },
          { conditions, validFrom: { seconds: 1_780_000_000n, nanos: 1_000_000_000 } },
        ],
      }),
    ).toEqual([
      {
        field: "campaign.rules[0].valid_from",
        reason: expect.stringContaining("must be between 2000-01-01T00:00:00Z"),
      },
      {
        field: "campaign.rules[1].valid_until",
        reason: expect.stringContaining("must be between 2000-01-01T00:00:00Z"),
      },
      {
        field: "campaign.rules[2].valid_from",
        reason: expect.stringContaining("must be between 2000-01-01T00:00:00Z"),
      },
      { field: "campaign.rules[3].valid_from", reason: "nanos must be between 0 and 999999999" },
    ]);
  });

  it("keeps windows at the edges of the supported instants", () => {
    const checked = validateCampaign(
      create(CampaignSchema, {
        name: "Edges",
        rules: [
          {
            conditions,
            validFrom: timestampFromDate(new Date("2000-01-01T00:00:00Z")),
            validUntil: timestampFromDate(new Date("2100-01-01T00:00:00Z")),
          },
        ],
      }),
    );
    expect(checked.rules[0]).toMatchObject({
      validFrom: "2000-01-01T00:00:00.000Z",
      validUntil: "2100-01-01T00:00:00.000Z",
    });
  });

  it("refuses NUL and unpaired surrogates in the name and in values", () => {
    expect(violations({ name: "Spring\u0000sale", rules: [{ conditions }] })).toEqual([
      { field: "campaign.name", reason: "must not contain NUL characters" },
    ]);
    expect(violations({ name: "Spring \ud83d", rules: [{ conditions }] })).toEqual([
      { field: "campaign.name", reason: "must be valid Unicode (it has an unpaired surrogate)" },
    ]);
    expect(
      violations({
        name: "Values",
        rules: [
          {
            conditions: [{ field: "source", operator: MatchOperator.IN, values: ["ok", "nul\u0000", "\udc00lone"] }],
          },
        ],
      }),
    ).toEqual([
      { field: "campaign.rules[0].conditions[0].values[1]", reason: "must not contain NUL characters" },
      {
        field: "campaign.rules[0].conditions[0].values[2]",
        reason: "must be valid Unicode (it has an unpaired surrogate)",
      },
    ]);
  });

  it("quotes at most 64 characters of an unknown field", () => {
    const [violation] = violations({
      name: "Long",
      rules: [{ conditions: [{ field: "f".repeat(100_000), operator: MatchOperator.EXISTS }] }],
    });
    expect(violation?.field).toBe("campaign.rules[0].conditions[0].field");
    expect(violation?.reason).toContain(`unknown field "${"f".repeat(64)}…"`);
    expect(violation?.reason.length).toBeLessThan(1_000);
  });
});
