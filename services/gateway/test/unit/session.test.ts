import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { OrgContextSchema, Scope, SessionService } from "@trellis/contracts";
import { kOrgContext } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { requiredScope } from "../../src/domain/scopes.js";
import { createSessionService } from "../../src/handlers/session.js";

function clientWith(interceptors: Interceptor[]) {
  const transport = createRouterTransport((router) => router.service(SessionService, createSessionService()), {
    router: { interceptors },
  });
  return createClient(SessionService, transport);
}

describe("session service", () => {
  it("tells the caller its organization, principal and scopes, from the verified context only", async () => {
    const verified: Interceptor = (next) => (req) => {
      req.contextValues.set(
        kOrgContext,
        create(OrgContextSchema, {
          organizationId: "acme",
          organizationName: "Acme Inc.",
          principal: "key:k1",
          scopes: [Scope.EVENTS_WRITE, Scope.SQL_RUN],
        }),
      );
      return next(req);
    };
    const answer = await clientWith([verified]).getSession({});
    expect(answer).toMatchObject({
      organizationId: "acme",
      organizationName: "Acme Inc.",
      principal: "key:k1",
      scopes: ["events:write", "sql:run"],
    });
  });

  it("refuses a call that arrives without a verified context", async () => {
    const error = await clientWith([])
      .getSession({})
      .catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.Unauthenticated);
  });

  it("is open to every valid credential, whatever its scopes", () => {
    expect(requiredScope("trellis.warehouse.v1.SessionService", "GetSession")).toBe("any");
    expect(requiredScope("trellis.warehouse.v1.SessionService", "Other")).toBeUndefined();
    expect(requiredScope("trellis.warehouse.v1.AnalyticsService", "GetTraffic")).toBe(Scope.ANALYTICS_READ);
  });
});
