import type { Interceptor } from "@connectrpc/connect";
import { toConnectError } from "../errors.js";

/**
 * Handler edge: domain errors leave the service as ConnectErrors with the right code, whether
 * thrown before the answer or while a streamed answer is being produced (a server stream's
 * handler runs only as its messages are read).
 */
export function errorMappingInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return { ...res, message: mapErrors(res.message) };
    } catch (error) {
      throw toConnectError(error);
    }
  };
}

async function* mapErrors<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw toConnectError(error);
  }
}
