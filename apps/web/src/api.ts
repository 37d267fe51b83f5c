import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AnalyticsService, CampaignService, DiscoveryService, SessionService } from "@trellis/contracts";

/** The API key lives in this tab only: sessionStorage, never localStorage or a cookie. */
const KEY_STORAGE = "trellis.apiKey";

export function storedKey(): string | undefined {
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

export function storeKey(key: string | undefined): void {
  if (key === undefined) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

const withKey: Interceptor = (next) => (req) => {
  const key = storedKey();
  if (key) req.header.set("authorization", `Bearer ${key}`);
  return next(req);
};

/** Connect over HTTP to the gateway that served this page (same origin, same port). */
const transport = createConnectTransport({
  baseUrl: window.location.origin,
  interceptors: [withKey],
});

export const analytics = createClient(AnalyticsService, transport);
export const campaigns = createClient(CampaignService, transport);
export const session = createClient(SessionService, transport);
export const discovery = createClient(DiscoveryService, transport);
