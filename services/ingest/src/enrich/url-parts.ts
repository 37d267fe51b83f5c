export interface UrlParts {
  /** Lower-case host name without port; "" when the text is not an absolute URL. */
  host: string;
  path: string;
  params: Record<string, string>;
}

/** Without `withParams` the parameters are left empty (a referrer's are not needed). */
export function parseUrl(text: string, withParams = true): UrlParts | undefined {
  if (text === "") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  // A null prototype keeps a parameter named __proto__ an ordinary key.
  const params: Record<string, string> = Object.create(null);
  if (withParams && url.search.length > 1) {
    for (const [name, value] of url.searchParams) {
      if (params[name] === undefined) params[name] = value;
    }
  }
  return { host: url.hostname, path: url.pathname, params };
}

export function stripWww(host: string): string {
  return host.startsWith("www.") ? host.slice(4) : host;
}
