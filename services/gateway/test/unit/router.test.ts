import { describe, expect, it } from "vitest";
import { createRouter } from "../../src/rest/router.js";
import { restRoutes } from "../../src/rest/routes.js";

const match = createRouter(restRoutes);

describe("the REST router", () => {
  it("finds a route by method and exact path", () => {
    const found = match("GET", "/api/v1/analytics/traffic");
    expect(found.route?.rpc.name).toBe("GetTraffic");
    expect(found.route ? found.path : undefined).toEqual({});
  });

  it("prefers an exact path to a template, so a fixed segment is never read as an id", () => {
    expect(match("GET", "/api/v1/campaigns/versions").route?.rpc.name).toBe("ListRulesetVersions");
    const byId = match("GET", "/api/v1/campaigns/spring%20sale");
    expect(byId.route?.rpc.name).toBe("GetCampaign");
    expect(byId.route ? byId.path : undefined).toEqual({ campaign_id: "spring sale" });
  });

  it("names the methods a served path allows, and none for a path it does not serve", () => {
    expect(match("DELETE", "/api/v1/analytics/traffic")).toEqual({ allowed: ["GET"] });
    expect(match("PATCH", "/api/v1/campaigns/any")).toEqual({ allowed: ["GET", "PUT", "DELETE"] });
    expect(match("GET", "/api/v1/nothing-here")).toEqual({ allowed: [] });
    // A segment that is not valid percent-encoding fits no template.
    expect(match("GET", "/api/v1/campaigns/%E0%A4%A")).toEqual({ allowed: [] });
  });
});
