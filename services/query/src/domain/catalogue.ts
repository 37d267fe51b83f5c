/** A dimension users may group or filter by; `sql` is trusted text, never user input. */
export interface Dimension {
  name: string;
  sql: string;
  type: "String" | "UInt8" | "Bool";
  description: string;
}

export const dimensions: readonly Dimension[] = [
  { name: "event_type", sql: "event_type", type: "String", description: "click, pageview, conversion or custom" },
  { name: "source", sql: "source", type: "String", description: "Traffic source (utm_source, click id or referrer)" },
  { name: "medium", sql: "medium", type: "String", description: "Traffic medium (utm_medium or derived)" },
  { name: "campaign_id", sql: "campaign_id", type: "String", description: "Campaign captured at ingest" },
  { name: "channel", sql: "channel", type: "String", description: "Marketing channel" },
  {
    name: "referrer_class",
    sql: "referrer_class",
    type: "String",
    description: "search, social, email, paid, internal, direct, other",
  },
  { name: "referrer_host", sql: "referrer_host", type: "String", description: "Host of the referrer" },
  { name: "landing_host", sql: "landing_host", type: "String", description: "Host of the landing URL" },
  { name: "country", sql: "country", type: "String", description: "ISO 3166-1 alpha-2 country" },
  { name: "region", sql: "region", type: "String", description: "Region or state" },
  { name: "city", sql: "city", type: "String", description: "City" },
  { name: "device_type", sql: "device_type", type: "String", description: "desktop, mobile, tablet, bot, …" },
  { name: "browser", sql: "browser", type: "String", description: "Browser family" },
  { name: "os", sql: "os", type: "String", description: "Operating system family" },
  { name: "conversion_name", sql: "conversion_name", type: "String", description: "Name of a conversion event" },
  { name: "is_bot", sql: "is_bot", type: "Bool", description: "Whether the event came from a known crawler" },
];

const byName = new Map(dimensions.map((d) => [d.name, d]));

export function findDimension(name: string): Dimension | undefined {
  return byName.get(name);
}
