import { create } from "@bufbuild/protobuf";
import { createContextValues } from "@connectrpc/connect";
import { OrgContextSchema } from "@trellis/contracts";
import { describe, expect, it } from "vitest";
import { forwardContextInterceptor, ORG_CONTEXT_HEADER, orgCallOptions, runWithOrgContext } from "../../src/index.js";

const scope = (organizationId: string) => ({
  context: create(OrgContextSchema, { organizationId }),
  token: `token-of-${organizationId}`,
});

/** The header an outgoing call carries after the forwarding interceptor. */
async function forwarded(contextValues = createContextValues()): Promise<string | null> {
  let sent: string | null = null;
  const call = forwardContextInterceptor()(async (req) => {
    sent = req.header.get(ORG_CONTEXT_HEADER);
    return {} as never;
  });
  await call({ header: new Headers(), contextValues } as never);
  return sent;
}

describe("a peer call for an organization", () => {
  it("carries the token of the scope it was given, with no request around it", async () => {
    expect(await forwarded(orgCallOptions(scope("acme")).contextValues)).toBe("token-of-acme");
  });

  it("carries the given scope's token even inside another organization's request", async () => {
    const inside = await runWithOrgContext(scope("globex"), () =>
      forwarded(orgCallOptions(scope("acme")).contextValues),
    );
    expect(inside).toBe("token-of-acme");
  });

  it("falls back to the current request's scope, and carries nothing outside one", async () => {
    expect(await runWithOrgContext(scope("globex"), () => forwarded())).toBe("token-of-globex");
    expect(await forwarded()).toBeNull();
  });
});
