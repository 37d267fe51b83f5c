/**
 * Request targets taken as they are: a path of plain segments and a query string of
 * characters URL leaves unchanged. Anything else (dot segments, percent escapes, `//`,
 * characters URL encodes) is read by URL, so both give the same path and query string.
 */
const plainTarget = /^\/(?!\/)[A-Za-z0-9/_~-]*(\?[!$%&()*+,\-./0-9:;=?@A-Z[\\\]^_`a-z{|}~]*)?$/;

/**
 * The path and the query string (with its `?`, empty when there is none) of a request target,
 * as `new URL(target, base)` reads them; without parsing a URL for the targets most requests
 * have.
 */
export function pathAndQueryOf(target: string): [pathname: string, search: string] {
  if (plainTarget.test(target)) {
    const q = target.indexOf("?");
    if (q < 0) return [target, ""];
    return [target.slice(0, q), q === target.length - 1 ? "" : target.slice(q)];
  }
  const url = new URL(target, "http://gateway");
  return [url.pathname, url.search];
}
