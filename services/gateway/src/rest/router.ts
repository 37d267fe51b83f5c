import { matchPath, type RestRoute } from "./route.js";

export type RouteMatch =
  | { route: RestRoute; path: Record<string, string> }
  /** The path is served, but not with this method: the methods that are. */
  | { route?: undefined; allowed: string[] };

const noPathParams: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Finds the route of a request among the route tables. Exact paths win over templates, so
 * `/campaigns/versions` is never read as a campaign id; no match at all allows nothing (404).
 * Matches of exact paths are made once, here: finding one allocates nothing.
 */
export function createRouter(routes: readonly RestRoute[]) {
  const exact = new Map<string, RestRoute[]>();
  const templates: RestRoute[] = [];
  for (const route of routes) {
    if (route.path.includes("{")) templates.push(route);
    else exact.set(route.path, [...(exact.get(route.path) ?? []), route]);
  }
  /** By exact path: its match for each method it is served with, and those methods. */
  const exactMatches = new Map<string, { byMethod: Map<string, RouteMatch>; allowed: string[] }>();
  for (const [path, candidates] of exact) {
    const byMethod = new Map<string, RouteMatch>();
    // The first route of a method wins, as a search in table order finds it.
    for (const route of candidates)
      if (!byMethod.has(route.method)) byMethod.set(route.method, { route, path: noPathParams });
    exactMatches.set(path, { byMethod, allowed: candidates.map((c) => c.method) });
  }
  return function match(method: string, pathname: string): RouteMatch {
    const known = exactMatches.get(pathname);
    if (known) return known.byMethod.get(method) ?? { allowed: [...known.allowed] };
    const candidates = templates.filter((r) => matchPath(r.path, pathname) !== undefined);
    const route = candidates.find((r) => r.method === method);
    if (!route) return { allowed: candidates.map((c) => c.method) };
    return { route, path: matchPath(route.path, pathname) ?? {} };
  };
}
