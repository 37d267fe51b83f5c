import { create } from "@bufbuild/protobuf";
import { type Condition, ConditionSchema, MatchOperator } from "@trellis/contracts";
import { CAMPAIGN_PARAMS, CLICK_ID_SPECS } from "@trellis/contracts/url-parameters";

/**
 * The attributes of a landing session a pattern is made of. Origin attributes say where a
 * visit came from; refiners (country, device, browser) only narrow an origin, never stand alone.
 * Each has the SQL that reads it from the session's landing event (columns prefixed `l_`, and
 * `other_clid`, see compile.ts), '' when the session has no such value.
 */
export interface PatternAttribute {
  name: string;
  kind: "origin" | "refiner";
  sql: string;
  /** The campaign condition that matches sessions with `value`. */
  condition(value: string): Condition;
  /** Words for a suggested name. */
  describe(value: string): string;
}

/** Query parameters the product already reads (campaign tags and ad click ids) or that carry no origin. */
export const UNDERSTOOD_PARAMS = [...CAMPAIGN_PARAMS, ...CLICK_ID_SPECS.map((spec) => spec.param), "_ga", "_gl"];

/** The value of a referrer attribute for a session without a referrer. */
export const NO_REFERRER = "(none)";
const MAX_VALUE = 200;

const condition = (field: string, operator: MatchOperator, values: string[]) =>
  create(ConditionSchema, { field, operator, values });

/** In order of precedence: between equally strong explanations, the earlier attribute names the pattern. */
export const patternAttributes: readonly PatternAttribute[] = [
  {
    name: "referrer_host",
    kind: "origin",
    sql: `if(l_referrer_host = '', '${NO_REFERRER}', l_referrer_host)`,
    condition: (v) =>
      v === NO_REFERRER
        ? condition("referrer_class", MatchOperator.EQUALS, ["direct"])
        : condition("referrer_host", MatchOperator.EQUALS, [v]),
    describe: (v) => (v === NO_REFERRER ? "no referrer" : v),
  },
  {
    // The first query parameter the product does not understand, as "name=value".
    name: "query_param",
    kind: "origin",
    sql: `substring(l_unknown_param, 1, ${MAX_VALUE})`,
    condition: (v) => {
      const at = v.indexOf("=");
      const name = v.slice(0, at);
      const value = v.slice(at + 1);
      return value === ""
        ? condition(`param:${name}`, MatchOperator.EXISTS, [])
        : condition(`param:${name}`, MatchOperator.EQUALS, [value]);
    },
    describe: (v) => v,
  },
  {
    // A known click id kind ("gclid"), or "?<name>" for an unknown *clid parameter.
    name: "click_id",
    kind: "origin",
    sql: "if(l_click_id_type != '', l_click_id_type, if(other_clid = '', '', concat('?', other_clid)))",
    condition: (v) =>
      v.startsWith("?")
        ? condition(`param:${v.slice(1)}`, MatchOperator.EXISTS, [])
        : condition("click_id_type", MatchOperator.EQUALS, [v]),
    describe: (v) => `${v.replace(/^\?/, "")} clicks`,
  },
  {
    name: "landing_path",
    kind: "origin",
    sql: `substring(l_landing_path, 1, ${MAX_VALUE})`,
    condition: (v) => condition("landing_path", MatchOperator.EQUALS, [v]),
    describe: (v) => v,
  },
  {
    // The first segment of a deeper path ("/blog/" of "/blog/post-1"); '' for a one-segment path.
    name: "landing_path_prefix",
    kind: "origin",
    sql: `if(length(splitByChar('/', l_landing_path)) > 2 AND splitByChar('/', l_landing_path)[3] != '',
      substring(concat('/', splitByChar('/', l_landing_path)[2], '/'), 1, ${MAX_VALUE}), '')`,
    condition: (v) => condition("landing_path", MatchOperator.STARTS_WITH, [v]),
    describe: (v) => `${v}…`,
  },
  {
    name: "country",
    kind: "refiner",
    sql: "l_country",
    condition: (v) => condition("country", MatchOperator.EQUALS, [v]),
    describe: (v) => v,
  },
  {
    name: "device_type",
    kind: "refiner",
    sql: "l_device_type",
    condition: (v) => condition("device_type", MatchOperator.EQUALS, [v]),
    describe: (v) => v,
  },
  {
    name: "browser",
    kind: "refiner",
    sql: "l_browser",
    condition: (v) => condition("browser", MatchOperator.EQUALS, [v]),
    describe: (v) => v,
  },
];

/**
 * The attribute sets the engine aggregates over: every origin alone, every pair of origins and
 * every origin with one refiner (MacroBase's itemsets up to order two; higher orders add
 * conditions a marketer would not write, at the cost of many more groups).
 */
export function attributeSets(): string[][] {
  const origins = patternAttributes.filter((a) => a.kind === "origin").map((a) => a.name);
  const refiners = patternAttributes.filter((a) => a.kind === "refiner").map((a) => a.name);
  const sets: string[][] = origins.map((o) => [o]);
  origins.forEach((o, i) => {
    for (const other of origins.slice(i + 1)) sets.push([o, other]);
    for (const r of refiners) sets.push([o, r]);
  });
  return sets;
}

/** Origin values that describe most traffic rather than a source: no referrer, the home page. */
export function isGeneric(attribute: string, value: string): boolean {
  return (attribute === "referrer_host" && value === NO_REFERRER) || (attribute === "landing_path" && value === "/");
}
