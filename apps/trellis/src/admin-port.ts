import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { WardenService } from "@trellis/contracts";
import type { ServiceApp } from "@trellis/platform";

/** Warden methods that stay internal: the gateway's own credential check is no admin RPC. */
const internalMethods = new Set(["Authenticate"]);

/** One interceptor that runs the given ones in order, outermost first. */
export function chain(interceptors: readonly Interceptor[]): Interceptor {
  return (next) => interceptors.reduceRight((inner, interceptor) => interceptor(inner), next);
}

/**
 * The public app plus warden's admin RPCs on the same port. Calls to warden go through
 * warden's own auth (the admin token, exactly as the standalone warden checks it); every
 * other call goes through the public app's. Authenticate is not served here.
 */
export function withWardenAdmin<A extends ServiceApp>(publicApp: A, warden: ServiceApp): A {
  const publicAuth = chain(publicApp.authInterceptors);
  const wardenAuth = chain(warden.authInterceptors);
  const auth: Interceptor = (next) => {
    const toPublic = publicAuth(next);
    const toWarden = wardenAuth(next);
    return async (req) => {
      if (req.service.typeName !== WardenService.typeName) return toPublic(req);
      if (internalMethods.has(req.method.name)) {
        throw new ConnectError(`${req.method.name} is not served on this port`, Code.Unimplemented);
      }
      return toWarden(req);
    };
  };
  return {
    ...publicApp,
    services: [...publicApp.services, WardenService],
    routes(router) {
      publicApp.routes(router);
      warden.routes(router);
    },
    authInterceptors: [auth],
  };
}
