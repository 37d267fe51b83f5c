import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CampaignSchema, MatchOperator } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { compileCampaignMatch, compileEffectiveCampaign } from "../../../src/campaigns/compile.js";
import type { StoredCampaign } from "../../../src/campaigns/ruleset.js";
import { campaignLimits, checkRulesetSize, validateCampaign } from "../../../src/campaigns/validate.js";

function campaign(id: string, priority: number, createdAt: string, archived = false): StoredCampaign {
  return {
    id,
    name: id,
    priority,
    archived,
    createdAt,
    updatedAt: createdAt,
    version: 1,
    rules: [{ conditions: [{ field: "source", operator: "equals", values: [id] }] }],
  };
}

describe("campaign rules compiled to SQL", () => {
  it("binds every value, parameter name and time, never inlining them", () => {
    const compiled = compileCampaignMatch(
      {
        rules: [
          {
            conditions: [
              { field: "param:ref", operator: "in", values: ["a'); DROP TABLE x; --", "b"] },
              { field: "landing_url", operator: "regex", values: ["^https://", "\\?promo="] },
            ],
            validFrom: "2024-01-01T00:00:00.000Z",
          },
          { conditions: [{ field: "param:utm_x", operator: "exists", values: [] }] },
        ],
      },
      "p",
    );
    expect(compiled.sql).toBe(
      "((has({p1:Array(String)}, query_params[{p0:String}]) AND (match(url, {p2:String}) OR match(url, {p3:String})) AND event_time >= {p4:DateTime64(3, 'UTC')}) OR mapContains(query_params, {p5:String}))",
    );
    expect(compiled.params).toEqual({
      p0: "ref",
      p1: ["a'); DROP TABLE x; --", "b"],
      p2: "^https://",
      p3: "\\?promo=",
      p4: "2024-01-01 00:00:00.000",
      p5: "utm_x",
    });
  });

  it("orders campaigns by priority, then age, skips archived ones and falls back to the captured campaign", () => {
    const effective = compileEffectiveCampaign({
      version: 3,
      campaigns: [
        campaign("old-low", 1, "2024-01-01T00:00:00Z"),
        campaign("new-high", 5, "2024-02-01T00:00:00Z"),
        campaign("archived", 9, "2024-01-01T00:00:00Z", true),
        campaign("old-high", 5, "2024-01-15T00:00:00Z"),
      ],
    });
    expect(effective.sql).toBe(
      "multiIf(source = {cr0:String}, {cr1:String}, source = {cr2:String}, {cr3:String}, source = {cr4:String}, {cr5:String}, campaign_id)",
    );
    expect([effective.params.cr1, effective.params.cr3, effective.params.cr5]).toEqual([
      "old-high",
      "new-high",
      "old-low",
    ]);
    expect(compileEffectiveCampaign({ version: 0, campaigns: [] }).sql).toBe("campaign_id");
  });
});

describe("campaign validation", () => {
  it("normalizes values the way ingest stores them", () => {
    const checked = validateCampaign(
      create(CampaignSchema, {
        name: "  Launch  ",
        rules: [
          {
            conditions: [
              { field: "source", operator: MatchOperator.EQUALS, values: ["Google"] },
              { field: "country", operator: MatchOperator.IN, values: ["de", "fr"] },
            ],
            validFrom: timestampFromDate(new Date("2024-01-01T00:00:00Z")),
          },
        ],
      }),
    );
    expect(checked.name).toBe("Launch");
    expect(checked.rules[0]?.conditions.map((c) => c.values)).toEqual([["google"], ["DE", "FR"]]);
    expect(checked.rules[0]?.validFrom).toBe("2024-01-01T00:00:00.000Z");
  });

  it("lists every problem with its field path", () => {
    try {
      validateCampaign(
        create(CampaignSchema, {
          name: "",
          rules: [
            {
              conditions: [
                { field: "param:", operator: MatchOperator.EQUALS, values: ["x"] },
                { field: "source", operator: MatchOperator.EXISTS, values: ["x"] },
                { field: "medium", operator: MatchOperator.UNSPECIFIED, values: ["x"] },
              ],
              validFrom: timestampFromDate(new Date("2024-02-01T00:00:00Z")),
              validUntil: timestampFromDate(new Date("2024-01-01T00:00:00Z")),
            },
          ],
        }),
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations.map((v) => v.field)).toEqual([
        "campaign.name",
        "campaign.rules[0].valid_until",
        "campaign.rules[0].conditions[0].field",
        "campaign.rules[0].conditions[1].values",
        "campaign.rules[0].conditions[2].operator",
      ]);
    }
  });
});

describe("ruleset size", () => {
  const withConditions = (id: string, conditions: number, value = "x", archived = false): StoredCampaign => ({
    ...campaign(id, 0, "2024-01-01T00:00:00Z", archived),
    rules: [
      {
        conditions: Array.from({ length: conditions }, () => ({
          field: "source",
          operator: "in" as const,
          values: [value],
        })),
      },
    ],
  });

  it("counts the conditions and value bytes of active campaigns only", () => {
    const limit = campaignLimits.rulesetConditions;
    expect(() => checkRulesetSize({ version: 1, campaigns: [withConditions("a", limit)] })).not.toThrow();
    expect(() =>
      checkRulesetSize({ version: 1, campaigns: [withConditions("a", limit), withConditions("old", 10, "x", true)] }),
    ).not.toThrow();
    expect(() =>
      checkRulesetSize({ version: 1, campaigns: [withConditions("a", limit), withConditions("b", 1)] }),
    ).toThrow(/would hold 2001 conditions/);
    const big = "v".repeat(campaignLimits.rulesetValueBytes);
    expect(() => checkRulesetSize({ version: 1, campaigns: [withConditions("a", 2, big)] })).toThrow(/bytes of values/);
  });
});
