import { timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

const openMethods = new Set(["Authenticate"]);

/** Admin RPCs need `authorization: Bearer <admin token>`; without a configured token they are off. */
export function adminAuthInterceptor(adminToken: string | undefined): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName !== "warden.v1.WardenService" || openMethods.has(req.method.name)) return next(req);
    if (!adminToken) {
      throw new ConnectError("admin RPCs are disabled: TRELLIS_WARDEN_ADMIN_TOKEN is not set", Code.PermissionDenied);
    }
    const given = req.header.get("authorization")?.replace(/^Bearer\s+/i, "") ?? "";
    const a = Buffer.from(given);
    const b = Buffer.from(adminToken);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new ConnectError("admin token missing or wrong", Code.Unauthenticated);
    }
    return next(req);
  };
}
