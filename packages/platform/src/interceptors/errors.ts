import type { Interceptor } from "@connectrpc/connect";
import { toConnectError } from "../errors.js";

/** Handler edge: domain errors leave the service as ConnectErrors with the right code. */
export function errorMappingInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      throw toConnectError(error);
    }
  };
}
