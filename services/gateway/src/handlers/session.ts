import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { SessionService } from "@trellis/contracts";
import { kOrgContext } from "@trellis/platform";
import { scopeLabel } from "../domain/scopes.js";

/** Who the caller is: the context the auth interceptor verified for this call, as a client shows it. */
export function createSessionService(): ServiceImpl<typeof SessionService> {
  return {
    getSession(_req, ctx) {
      const context = ctx.values.get(kOrgContext);
      if (!context) throw new ConnectError("no verified credential on this call", Code.Unauthenticated);
      return {
        organizationId: context.organizationId,
        organizationName: context.organizationName,
        principal: context.principal,
        scopes: context.scopes.map(scopeLabel),
      };
    },
  };
}
