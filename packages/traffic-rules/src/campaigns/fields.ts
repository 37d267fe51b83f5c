/** Captured facts a campaign rule may test, with the column that holds each (trusted SQL). */
export interface RuleField {
  sql: string;
  /** How stored values are spelled, so a rule's values are compared the same way. */
  normalize?: (value: string) => string;
  description: string;
}

const lower = (v: string) => v.toLowerCase();
const upper = (v: string) => v.toUpperCase();

const param = (name: string): RuleField => ({
  sql: `query_params['${name}']`,
  description: `raw ${name} query parameter of the landing URL`,
});

export const ruleFields: Readonly<Record<string, RuleField>> = {
  source: { sql: "source", normalize: lower, description: "traffic source (utm_source, click id or referrer)" },
  medium: { sql: "medium", normalize: lower, description: "traffic medium" },
  channel: { sql: "channel", description: "marketing channel" },
  utm_source: param("utm_source"),
  utm_medium: param("utm_medium"),
  utm_campaign: param("utm_campaign"),
  utm_term: param("utm_term"),
  utm_content: param("utm_content"),
  utm_id: param("utm_id"),
  referrer: { sql: "referrer", description: "full referrer URL" },
  referrer_host: { sql: "referrer_host", normalize: lower, description: "host of the referrer" },
  referrer_path: { sql: "referrer_path", description: "path of the referrer" },
  referrer_class: { sql: "referrer_class", description: "search, social, email, paid, internal, direct, other" },
  landing_url: { sql: "url", description: "full landing URL" },
  landing_host: { sql: "landing_host", normalize: lower, description: "host of the landing URL" },
  landing_path: { sql: "landing_path", description: "path of the landing URL" },
  click_id_type: { sql: "click_id_type", description: "kind of click id (gclid, fbclid, …)" },
  country: { sql: "country", normalize: upper, description: "ISO 3166-1 alpha-2 country" },
  region: { sql: "region", description: "region or state" },
  city: { sql: "city", description: "city" },
  device_type: { sql: "device_type", normalize: lower, description: "desktop, mobile, tablet, …" },
  browser: { sql: "browser", description: "browser family" },
  os: { sql: "os", description: "operating system family" },
  event_type: { sql: "event_type", normalize: lower, description: "click, pageview, conversion or custom" },
};

export const PARAM_PREFIX = "param:";
const PARAM_NAME = /^[\w.\-[\]]{1,100}$/;

/** The field a rule names, or undefined when it is not one; `param:<name>` reads any query parameter. */
export function resolveRuleField(name: string): { field: RuleField; paramName?: string } | undefined {
  if (name.startsWith(PARAM_PREFIX)) {
    const paramName = name.slice(PARAM_PREFIX.length);
    if (!PARAM_NAME.test(paramName)) return undefined;
    return { field: { sql: "", description: `query parameter ${paramName}` }, paramName };
  }
  const field = ruleFields[name];
  return field ? { field } : undefined;
}

export const ruleFieldNames = [...Object.keys(ruleFields), `${PARAM_PREFIX}<name>`];
