import { matchPath, type RestRoute } from "./route.js";

export type RouteMatch =
  | { route: RestRoute; path: Record<string, string> }
  /** The path is served, but not with this method: the methods that are. */
  | { route?: undefined; allowed: string[] };

/**
 * Finds the route of a request among the route tables. Exact paths win over templates, so
 * `/campaigns/versions` is never read as a campaign id; no match at all allows nothing (404).
 */
export function createRouter(routes: readonly RestRoute[]) {
  const exact = new Map<string, RestRoute[]>();
  const templates: RestRoute[] = [];
  for (const route of routes) {
    if (route.path.includes("{")) templates.push(route);
    else exact.set(route.path, [...(exact.get(route.path) ?? []), route]);
  }
  return function match(method: string, pathname: string): RouteMatch {
    const candidates = exact.get(pathname) ?? templates.filter((r) => matchPath(r.path, pathname) !== undefined);
    const route = candidates.find((r) => r.method === method);
    if (!route) return { allowed: candidates.map((c) => c.method) };
    return { route, path: route.path.includes("{") ? (matchPath(route.path, pathname) ?? {}) : {} };
  };
}
