import { describe, expect, it } from "vitest";
import { isUnreadable, readStoredCampaign, readStoredRuleset } from "../../../src/domain/campaigns/stored.js";

const good = {
  id: "cmp_good",
  name: "Good",
  priority: 3,
  archived: false,
  rules: [
    {
      conditions: [{ field: "source", operator: "equals", values: ["google"] }],
      validFrom: "2026-01-01T00:00:00.000Z",
    },
  ],
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-02T00:00:00.000Z",
  version: 2,
};

describe("stored campaigns", () => {
  it("reads a campaign as it was written", () => {
    expect(readStoredCampaign(good)).toEqual(good);
  });

  it.each([
    [{ rules: [{ ...good.rules[0], validFrom: "0000-01-01T00:00:00.000Z" }] }, "rules[0].valid_from: must be between"],
    [{ rules: [{ ...good.rules[0], validUntil: "2026-02-30T00:00:00.000Z" }] }, "rules[0].valid_until: "],
    [{ rules: [{ ...good.rules[0], validUntil: 42 }] }, "rules[0].valid_until: is not a string"],
    [{ createdAt: "9999-12-31T00:00:00.000Z" }, "created_at: must be between"],
    [{ updatedAt: "yesterday" }, "updated_at: expected an RFC 3339 time"],
    [{ name: "a\u0000b" }, "name: must not contain NUL characters"],
    [{ name: "\ud800" }, "name: must be valid Unicode"],
    [{ name: 7 }, "name: is not a string"],
    [{ priority: 1.5 }, "priority: is not a 32-bit whole number"],
    [{ archived: "no" }, "archived: is not true or false"],
    [{ version: 0 }, "version: is not a ruleset version"],
    [{ rules: {} }, "rules: is not an array"],
    [
      { rules: [{ conditions: [{ field: "shoe_size", operator: "equals", values: ["42"] }] }] },
      "rules[0].conditions[0].field: is not a field a rule can test",
    ],
    [
      { rules: [{ conditions: [{ field: "source", operator: "like", values: ["a"] }] }] },
      "rules[0].conditions[0].operator: is not a known operator",
    ],
    [
      { rules: [{ conditions: [{ field: "source", operator: "in", values: ["a", 1] }] }] },
      "rules[0].conditions[0].values[1]: is not a string",
    ],
    [
      { rules: [{ conditions: [{ field: "source", operator: "in", values: ["a\u0000"] }] }] },
      "rules[0].conditions[0].values[0]: must not contain NUL",
    ],
  ])("sets apart a campaign that cannot be read (%#), keeping its stored form and id", (change, reason) => {
    const stored = { ...good, ...change };
    const read = readStoredCampaign(stored);
    expect(isUnreadable(read)).toBe(true);
    expect(read).toMatchObject({ id: "cmp_good", stored });
    expect((read as { reason: string }).reason).toContain(reason);
  });

  it("sets apart values that are not campaigns at all", () => {
    expect(readStoredCampaign(null)).toMatchObject({ id: "", reason: "campaign: is not an object" });
    expect(readStoredCampaign({ ...good, id: "bad id!" })).toMatchObject({
      id: "",
      reason: "id: is not a campaign id",
    });
  });

  it("reads a ruleset's readable campaigns and sets the others apart", () => {
    const year0 = { ...good, id: "cmp_year0", rules: [{ ...good.rules[0], validFrom: "0000-01-01T00:00:00.000Z" }] };
    const ruleset = readStoredRuleset(4, JSON.stringify([good, year0]));
    expect(ruleset.version).toBe(4);
    expect(ruleset.campaigns).toEqual([good]);
    expect(ruleset.unreadable).toEqual([
      { id: "cmp_year0", reason: expect.stringContaining("rules[0].valid_from"), stored: year0 },
    ]);
  });

  it("reads text that is not a list of campaigns as an empty ruleset", () => {
    expect(readStoredRuleset(2, "{not json")).toMatchObject({ version: 2, campaigns: [], unreadable: [{ id: "" }] });
    expect(readStoredRuleset(2, '{"a":1}')).toMatchObject({ version: 2, campaigns: [], unreadable: [{ id: "" }] });
  });
});
