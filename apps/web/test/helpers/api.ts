import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

/** Connect from Node to the gateway with a key: the answers the page must show are asked this way. */
export function apiTransport(url: string, key: string | undefined): Transport {
  const withKey: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
  return createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [withKey] });
}
