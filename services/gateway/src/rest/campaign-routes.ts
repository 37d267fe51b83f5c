import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ArchiveCampaignRequestSchema,
  CampaignSchema,
  CampaignService,
  ConditionSchema,
  CreateCampaignRequestSchema,
  DateRangeSchema,
  GetCampaignRequestSchema,
  ListCampaignsRequestSchema,
  ListRulesetVersionsRequestSchema,
  MatchOperator,
  PreviewCampaignRequestSchema,
  RuleSchema,
  UpdateCampaignRequestSchema,
} from "@trellis/contracts";
import { echo, parseInstant, ValidationError } from "@trellis/platform";
import { object, only, strings, text } from "./json-body.js";
import { createParams } from "./params.js";
import type { RestRoute } from "./route.js";

const operators: Record<string, MatchOperator> = {
  equals: MatchOperator.EQUALS,
  not_equals: MatchOperator.NOT_EQUALS,
  in: MatchOperator.IN,
  contains: MatchOperator.CONTAINS,
  starts_with: MatchOperator.STARTS_WITH,
  regex: MatchOperator.REGEX,
  exists: MatchOperator.EXISTS,
};

/** An RFC 3339 time (or a date: its UTC midnight), read as every time of the product is read. */
function instant(value: unknown, field: string) {
  const raw = text(value, field);
  if (raw === "") return undefined;
  return timestampFromDate(parseInstant(raw, field));
}

function integer(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1)
    throw ValidationError.field(field, "must be a whole number");
  return value;
}

/**
 * A campaign as JSON: {"name":"Spring newsletter","priority":10,"rules":[{"conditions":[
 * {"field":"referrer_host","operator":"equals","value":"news.example.com"},
 * {"field":"param:ref","operator":"exists"}],"valid_from":"2026-03-01T00:00:00Z"}]}.
 */
export function parseCampaign(body: unknown, path: string, id = "") {
  const root = object(body, path || "body");
  const at = (name: string) => (path ? `${path}.${name}` : name);
  only(root, path, ["id", "name", "priority", "rules"]);
  const rules = root.rules === undefined ? [] : root.rules;
  if (!Array.isArray(rules)) throw ValidationError.field(at("rules"), "must be an array");
  const bodyId = text(root.id, at("id"));
  if (id && bodyId && bodyId !== id) throw ValidationError.field(at("id"), `does not match the path's ${echo(id)}`);
  return create(CampaignSchema, {
    id: id || bodyId,
    name: text(root.name, at("name")),
    priority: integer(root.priority, at("priority")),
    rules: rules.map((rawRule, r) => {
      const rulePath = at(`rules[${r}]`);
      const rule = object(rawRule, rulePath);
      only(rule, rulePath, ["conditions", "valid_from", "valid_until"]);
      const conditions = rule.conditions === undefined ? [] : rule.conditions;
      if (!Array.isArray(conditions)) throw ValidationError.field(`${rulePath}.conditions`, "must be an array");
      return create(RuleSchema, {
        validFrom: instant(rule.valid_from, `${rulePath}.valid_from`),
        validUntil: instant(rule.valid_until, `${rulePath}.valid_until`),
        conditions: conditions.map((rawCondition, c) => {
          const conditionPath = `${rulePath}.conditions[${c}]`;
          const condition = object(rawCondition, conditionPath);
          only(condition, conditionPath, ["field", "operator", "value", "values"]);
          const operatorName = text(condition.operator, `${conditionPath}.operator`).toLowerCase();
          const operator = operators[operatorName];
          if (operator === undefined)
            throw ValidationError.field(
              `${conditionPath}.operator`,
              `expected one of ${Object.keys(operators).join(", ")}`,
            );
          const values = strings(condition.values, `${conditionPath}.values`);
          if (condition.value !== undefined) values.unshift(text(condition.value, `${conditionPath}.value`));
          return create(ConditionSchema, { field: text(condition.field, `${conditionPath}.field`), operator, values });
        }),
      });
    }),
  });
}

function emptyBody(body: unknown): void {
  if (body !== undefined) throw ValidationError.field("body", "this call takes no body");
}

/** Campaign management under /api/v1/campaigns. */
export const campaignRoutes: readonly RestRoute[] = [
  {
    method: "GET",
    path: "/api/v1/campaigns",
    rpc: CampaignService.method.listCampaigns,
    parse({ query }) {
      const params = createParams(query, ["include_archived", "as_of_ruleset_version"]);
      const archived = params.string("include_archived");
      if (archived && archived !== "true" && archived !== "false")
        throw ValidationError.field("include_archived", "expected true or false");
      return create(ListCampaignsRequestSchema, {
        includeArchived: archived === "true",
        asOfRulesetVersion: params.bigint("as_of_ruleset_version"),
      });
    },
  },
  {
    method: "POST",
    path: "/api/v1/campaigns",
    rpc: CampaignService.method.createCampaign,
    parse({ query, body }) {
      createParams(query, []);
      return create(CreateCampaignRequestSchema, { campaign: parseCampaign(body, "") });
    },
  },
  {
    method: "POST",
    path: "/api/v1/campaigns/preview",
    rpc: CampaignService.method.previewCampaign,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["campaign", "range"]);
      const range = object(root.range, "range");
      only(range, "range", ["start_date", "end_date", "time_zone"]);
      return create(PreviewCampaignRequestSchema, {
        campaign: parseCampaign(root.campaign, "campaign"),
        range: create(DateRangeSchema, {
          startDate: text(range.start_date, "range.start_date"),
          endDate: text(range.end_date, "range.end_date"),
          timeZone: text(range.time_zone, "range.time_zone"),
        }),
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/campaigns/versions",
    rpc: CampaignService.method.listRulesetVersions,
    parse({ query }) {
      createParams(query, []);
      return create(ListRulesetVersionsRequestSchema, {});
    },
  },
  {
    method: "GET",
    path: "/api/v1/campaigns/{campaign_id}",
    rpc: CampaignService.method.getCampaign,
    parse({ query, path }) {
      createParams(query, []);
      return create(GetCampaignRequestSchema, { campaignId: path.campaign_id });
    },
  },
  {
    method: "PUT",
    path: "/api/v1/campaigns/{campaign_id}",
    rpc: CampaignService.method.updateCampaign,
    parse({ query, body, path }) {
      createParams(query, []);
      return create(UpdateCampaignRequestSchema, { campaign: parseCampaign(body, "", path.campaign_id) });
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/campaigns/{campaign_id}",
    rpc: CampaignService.method.archiveCampaign,
    parse({ query, body, path }) {
      createParams(query, []);
      emptyBody(body);
      return create(ArchiveCampaignRequestSchema, { campaignId: path.campaign_id });
    },
  },
];
