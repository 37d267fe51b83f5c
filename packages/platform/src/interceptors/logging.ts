import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logger.js";

/**
 * One structured line per RPC: method, outcome, duration in milliseconds (org and trace ids
 * via the logger). Successes log at debug, refusals at info, INTERNAL and UNKNOWN at error
 * with the cause; health checks are not logged. The error is rethrown unchanged.
 */
export function loggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === "grpc.health.v1.Health") return next(req);
    const started = performance.now();
    try {
      const res = await next(req);
      // Successes are logged at debug: their fields are not even built when it is off.
      if (logger.isLevelEnabled("debug"))
        logger.debug({ rpc: rpcName(req), code: "ok", duration_ms: round(performance.now() - started) }, "rpc");
      return res;
    } catch (error) {
      const connectError = ConnectError.from(error);
      const fields = {
        rpc: rpcName(req),
        code: Code[connectError.code],
        duration_ms: round(performance.now() - started),
        reason: connectError.rawMessage,
      };
      if (connectError.code === Code.Internal || connectError.code === Code.Unknown) {
        logger.error({ ...fields, err: connectError.cause ?? error }, "rpc failed");
      } else {
        logger.info(fields, "rpc rejected");
      }
      throw error;
    }
  };
}

function rpcName(req: { service: { typeName: string }; method: { name: string } }): string {
  return `${req.service.typeName}/${req.method.name}`;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
