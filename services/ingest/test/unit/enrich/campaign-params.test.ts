import { describe, expect, it } from "vitest";
import { readCampaignParams } from "../../../src/enrich/campaign-params.js";

describe("readCampaignParams", () => {
  it("reads the five UTM parameters, lower-casing source and medium only", () => {
    expect(
      readCampaignParams({
        utm_source: " Google ",
        utm_medium: "CPC",
        utm_campaign: "Spring Sale",
        utm_term: "Running Shoes",
        utm_content: "Banner A",
      }),
    ).toEqual({ source: "google", medium: "cpc", campaign: "Spring Sale", term: "Running Shoes", content: "Banner A" });
  });

  it("uses utm_id when utm_campaign is missing or blank", () => {
    expect(readCampaignParams({ utm_id: "cmp-42" }).campaign).toBe("cmp-42");
    expect(readCampaignParams({ utm_campaign: " ", utm_id: "cmp-42" }).campaign).toBe("cmp-42");
    expect(readCampaignParams({ utm_campaign: "named", utm_id: "cmp-42" }).campaign).toBe("named");
  });

  it("returns empty strings without UTM parameters", () => {
    expect(readCampaignParams({ q: "shoes" })).toEqual({ source: "", medium: "", campaign: "", term: "", content: "" });
  });
});
