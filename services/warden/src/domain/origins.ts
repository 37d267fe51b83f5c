import { echo, ValidationError } from "@trellis/platform";

/** At most this many origins per publishable key: a key per site is the intended use. */
export const MAX_ALLOWED_ORIGINS = 32;

/**
 * The origin a browser sends in its `Origin` header for a page at `value`: scheme, host and
 * port only, lower-cased, the default port dropped. Refuses anything else (a path, a query,
 * credentials, another scheme, a wildcard): the gateway compares origins byte for byte.
 */
export function normalizeOrigin(value: string, field: string): string {
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw ValidationError.field(field, `${echo(text)} is not an origin such as https://shop.example`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw ValidationError.field(field, `${echo(text)} must be an http or https origin`);
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== ""))
    throw ValidationError.field(field, `${echo(text)} must be only scheme, host and port, e.g. ${url.origin}`);
  if (/[*]/.test(text)) throw ValidationError.field(field, "wildcards are not accepted: list each origin");
  return url.origin;
}

/** Every origin normalised, without repeats; at least one and at most MAX_ALLOWED_ORIGINS. */
export function normalizeOrigins(values: readonly string[]): string[] {
  if (values.length === 0)
    throw ValidationError.field("allowed_origins", "a publishable key needs at least one origin");
  if (values.length > MAX_ALLOWED_ORIGINS)
    throw ValidationError.field("allowed_origins", `must list at most ${MAX_ALLOWED_ORIGINS} origins`);
  return [...new Set(values.map((value, index) => normalizeOrigin(value, `allowed_origins[${index}]`)))];
}
