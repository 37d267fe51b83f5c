import { MatchOperator, type Pattern } from "@trellis/contracts";
import { describe, expect, it } from "vitest";
import { type GroupRow, type SelectionSettings, selectPatterns } from "../../src/patterns/select.js";

const settings: SelectionSettings = {
  limit: 20,
  minSessions: 10,
  minSupport: 0.005,
  minGrowth: 2,
  rangeDays: 30,
  rangeStartDate: "2024-06-01",
  rangeEndDate: "2024-06-30",
  pastDays: 30,
  priority: 10,
  timeZone: "UTC",
  minDispersion: 3,
};

const ATTRIBUTES = ["referrer_host", "query_param", "click_id", "landing_path", "landing_path_prefix"];
const seconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

/**
 * A group as the engine returns it: its conditions, untagged sessions by day (one event each, no
 * conversions), and its tagged sessions by campaign with the first and last local day they span.
 */
function group(
  conditions: Record<string, string>,
  daily: Record<string, number>,
  tagged: Record<string, [number, string, string]> = {},
  totals?: { u: number; a: number },
): GroupRow {
  const days = Object.keys(daily).sort();
  const sessions = days.map((d) => daily[d] ?? 0);
  const u = totals?.u ?? sessions.reduce((x, y) => x + y, 0);
  const campaigns = Object.keys(tagged).sort();
  const a = totals?.a ?? campaigns.reduce((x, c) => x + (tagged[c]?.[0] ?? 0), 0);
  const row: GroupRow = {
    u,
    a,
    p: 0,
    u_events: u,
    u_conversions: 0,
    u_revenue: 0,
    converting_sessions: 0,
    attributed_by_campaign: [campaigns, campaigns.map((c) => tagged[c]?.[0] ?? 0)],
    campaign_from: [campaigns, campaigns.map((c) => seconds(tagged[c]?.[1] ?? ""))],
    campaign_until: [campaigns, campaigns.map((c) => seconds(tagged[c]?.[2] ?? "") + 86_400)],
    u_converting_sessions: 0,
    active_days: days.length,
    daily: [days, sessions, sessions, sessions.map(() => 0), sessions.map(() => 0), sessions.map(() => 0)],
    first_seen: `${days[0] ?? "2024-06-01"} 00:00:00`,
    last_seen: `${days.at(-1) ?? "2024-06-01"} 00:00:00`,
    sources: [],
    mediums: [],
    countries: [],
    devices: [],
    browsers: [],
    referrer_hosts: [],
  };
  for (const name of [...ATTRIBUTES, "country", "device_type", "browser"]) row[`a_${name}`] = conditions[name] ?? null;
  return row;
}

const rulesOf = (p: Pattern | undefined) =>
  (p?.suggestedCampaign?.rules ?? []).map((rule) => ({
    conditions: rule.conditions.map((c) => `${c.field} ${MatchOperator[c.operator]} ${c.values.join(",")}`),
    from: rule.validFrom ? new Date(Number(rule.validFrom.seconds) * 1000).toISOString() : undefined,
    until: rule.validUntil ? new Date(Number(rule.validUntil.seconds) * 1000).toISOString() : undefined,
  }));

const KEEP_CAMPAIGN = ["channel NOT_EQUALS organic_search,organic_social,internal", "utm_campaign EQUALS "];

describe("a campaign's untagged clicks", () => {
  it("gathers a newsletter issue's page from its mail referrers and the mail clients' visits to its other links, in its week", () => {
    const week: [number, string, string] = [80, "2024-06-11", "2024-06-17"];
    const rows = [
      group({}, { "2024-06-12": 100 }, {}, { u: 100, a: 400 }),
      // The featured page: the 20 untagged clicks and 2 visitors from a site linking it
      // in its week, 4 more such visitors later.
      group({ landing_path: "/feature" }, { "2024-06-12": 22, "2024-06-20": 4 }, { nl_1: week }),
      group(
        { landing_path: "/feature", referrer_host: "(none)" },
        { "2024-06-12": 12 },
        { nl_1: [48, week[1], week[2]] },
      ),
      group(
        { landing_path: "/feature", referrer_host: "mail.google.com" },
        { "2024-06-12": 8 },
        { nl_1: [32, week[1], week[2]] },
      ),
      group({ landing_path: "/feature", referrer_host: "news.example" }, { "2024-06-12": 2, "2024-06-20": 4 }),
      // The webmail: the clicks on the page, on its other links (4), and a lifecycle
      // mail's clicks on its own page all month (2 untagged in the week).
      group(
        { referrer_host: "mail.google.com" },
        { "2024-06-12": 14 },
        { nl_1: [48, week[1], week[2]], flow: [20, "2024-06-01", "2024-06-30"] },
      ),
      group(
        { referrer_host: "mail.google.com", landing_path: "/flow" },
        { "2024-06-12": 2 },
        { flow: [10, "2024-06-01", "2024-06-30"] },
      ),
    ];
    const patterns = selectPatterns(rows, settings);
    expect(patterns.map((p) => [p.suggestedName, Number(p.sessions), Number(p.attributedSessions)])).toEqual([
      ["Discovered: nl_1 untagged (/feature)", 24, 80],
    ]);
    const flight = { from: "2024-06-11T00:00:00.000Z", until: "2024-06-18T00:00:00.000Z" };
    expect(rulesOf(patterns[0])).toEqual([
      { conditions: ["referrer_class EQUALS direct", "landing_path EQUALS /feature", ...KEEP_CAMPAIGN], ...flight },
      {
        conditions: ["referrer_host EQUALS mail.google.com", "landing_path EQUALS /feature", ...KEEP_CAMPAIGN],
        ...flight,
      },
      {
        conditions: [
          "referrer_host EQUALS mail.google.com",
          "landing_path NOT_EQUALS /feature,/flow",
          ...KEEP_CAMPAIGN,
        ],
        ...flight,
      },
    ]);
    expect(patterns[0]?.range).toMatchObject({ startDate: "2024-06-12", endDate: "2024-06-12" });
  });

  it("keeps a newsletter issue gathered from its mail referrers beside a site that links its page", () => {
    const week: [number, string, string] = [80, "2024-06-11", "2024-06-17"];
    const rows = [
      group({}, { "2024-06-12": 1000 }, {}, { u: 1000, a: 400 }),
      // A new referring site, 20 of whose 300 visitors land on the page the issue features.
      group({ referrer_host: "news.example" }, { "2024-06-05": 150, "2024-06-12": 150 }),
      group({ landing_path: "/feature", referrer_host: "news.example" }, { "2024-06-12": 20 }),
      group({ landing_path: "/feature" }, { "2024-06-12": 40 }, { nl_1: week }),
      group(
        { landing_path: "/feature", referrer_host: "(none)" },
        { "2024-06-12": 12 },
        { nl_1: [48, week[1], week[2]] },
      ),
      group(
        { landing_path: "/feature", referrer_host: "mail.google.com" },
        { "2024-06-12": 8 },
        { nl_1: [32, week[1], week[2]] },
      ),
    ];
    // The site's 20 visitors of the page are in neither of the rules: the two share no session.
    const patterns = selectPatterns(rows, settings);
    expect(patterns.map((p) => [p.suggestedName, Number(p.sessions)])).toEqual([
      ["Discovered: news.example", 300],
      ["Discovered: nl_1 untagged (/feature)", 20],
    ]);
    expect(rulesOf(patterns[1]).map((rule) => rule.conditions[0])).toEqual([
      "referrer_class EQUALS direct",
      "referrer_host EQUALS mail.google.com",
    ]);
  });

  it("keeps the page whole when its mail referrers bring all its untagged visits, and adds the mail client's visits elsewhere", () => {
    const week: [number, string, string] = [40, "2024-06-11", "2024-06-17"];
    const rows = [
      group({}, { "2024-06-12": 100 }, {}, { u: 100, a: 400 }),
      group({ landing_path: "/feature" }, { "2024-06-12": 10 }, { nl_1: week }),
      group(
        { landing_path: "/feature", referrer_host: "(none)" },
        { "2024-06-12": 6 },
        { nl_1: [24, week[1], week[2]] },
      ),
      group(
        { landing_path: "/feature", referrer_host: "mail.google.com" },
        { "2024-06-12": 4 },
        { nl_1: [16, week[1], week[2]] },
      ),
      // Gmail: the 4 untagged clicks on the page and 5 on its other links.
      group({ referrer_host: "mail.google.com" }, { "2024-06-12": 9 }, { nl_1: [24, week[1], week[2]] }),
    ];
    const patterns = selectPatterns(rows, settings);
    expect(patterns.map((p) => [p.suggestedName, Number(p.sessions)])).toEqual([
      ["Discovered: nl_1 untagged (/feature)", 15],
    ]);
    const flight = { from: "2024-06-11T00:00:00.000Z", until: "2024-06-18T00:00:00.000Z" };
    expect(rulesOf(patterns[0])).toEqual([
      { conditions: ["landing_path EQUALS /feature", ...KEEP_CAMPAIGN], ...flight },
      {
        conditions: ["referrer_host EQUALS mail.google.com", "landing_path NOT_EQUALS /feature", ...KEEP_CAMPAIGN],
        ...flight,
      },
    ]);
  });

  it("weighs the mail clients' tagged clicks elsewhere together", () => {
    const week: [number, string, string] = [64, "2024-06-11", "2024-06-17"];
    const tagged = (n: number) => ({ nl_1: [n, week[1], week[2]] as [number, string, string] });
    const rows = [
      group({}, { "2024-06-12": 100 }, {}, { u: 100, a: 400 }),
      group({ landing_path: "/feature" }, { "2024-06-12": 21 }, { nl_1: week }),
      group({ landing_path: "/feature", referrer_host: "(none)" }, { "2024-06-12": 10 }, tagged(36)),
      group({ landing_path: "/feature", referrer_host: "mail.google.com" }, { "2024-06-12": 6 }, tagged(16)),
      group({ landing_path: "/feature", referrer_host: "outlook.live.com" }, { "2024-06-12": 4 }, tagged(8)),
      group({ landing_path: "/feature", referrer_host: "mail.yahoo.com" }, { "2024-06-12": 1 }, tagged(4)),
      // Elsewhere: Gmail 3 untagged beside 3 of the tagged clicks and 1 of the issue before
      // (its last day); Outlook 2 beside 4 tagged; Yahoo 2 and no tagged click: alone, only Outlook
      // holds 80 % of its tagged clicks elsewhere, together the issue holds 7 of 8.
      group(
        { referrer_host: "mail.google.com" },
        { "2024-06-12": 9 },
        { nl_1: [19, week[1], week[2]], nl_0: [1, "2024-06-11", "2024-06-11"] },
      ),
      group({ referrer_host: "outlook.live.com" }, { "2024-06-12": 6 }, tagged(12)),
      group({ referrer_host: "mail.yahoo.com" }, { "2024-06-12": 3 }, tagged(4)),
    ];
    const patterns = selectPatterns(rows, settings);
    expect(patterns.map((p) => [p.suggestedName, Number(p.sessions)])).toEqual([
      ["Discovered: nl_1 untagged (/feature)", 28],
    ]);
    expect(
      rulesOf(patterns[0]).map((rule) => rule.conditions.filter((c) => !KEEP_CAMPAIGN.includes(c)).join(" & ")),
    ).toEqual([
      "landing_path EQUALS /feature",
      "referrer_host EQUALS mail.google.com & landing_path NOT_EQUALS /feature",
      "referrer_host EQUALS outlook.live.com & landing_path NOT_EQUALS /feature",
      "referrer_host EQUALS mail.yahoo.com & landing_path NOT_EQUALS /feature",
    ]);
  });

  it("finds an issue featuring a search campaign's landing page from the issue's own referrers", () => {
    const week: [number, string, string] = [40, "2024-06-11", "2024-06-17"];
    const month: [number, string, string] = [200, "2024-06-01", "2024-06-30"];
    const rows = [
      group({}, { "2024-06-12": 200 }, {}, { u: 200, a: 600 }),
      // The page's tagged clicks are mostly the search campaign's: no group names the issue.
      group(
        { landing_path: "/lp" },
        { "2024-06-05": 30, "2024-06-12": 10, "2024-06-20": 30 },
        { search: month, nl_1: week },
      ),
      group(
        { landing_path: "/lp", referrer_host: "www.google.com" },
        { "2024-06-05": 30, "2024-06-20": 30 },
        { search: month },
      ),
      group({ landing_path: "/lp", referrer_host: "(none)" }, { "2024-06-12": 6 }, { nl_1: [24, week[1], week[2]] }),
      group(
        { landing_path: "/lp", referrer_host: "mail.google.com" },
        { "2024-06-12": 4 },
        { nl_1: [16, week[1], week[2]] },
      ),
    ];
    const patterns = selectPatterns(rows, settings);
    expect(patterns.map((p) => [p.suggestedName, Number(p.sessions), Number(p.attributedSessions)])).toEqual([
      ["Discovered: search untagged (/lp)", 60, 240],
      ["Discovered: nl_1 untagged (/lp)", 10, 40],
    ]);
    expect(patterns[0]?.id).not.toBe(patterns[1]?.id);
    expect(rulesOf(patterns[0])).toEqual([
      { conditions: ["referrer_host EQUALS www.google.com", "landing_path EQUALS /lp", ...KEEP_CAMPAIGN] },
    ]);
    const flight = { from: "2024-06-11T00:00:00.000Z", until: "2024-06-18T00:00:00.000Z" };
    expect(rulesOf(patterns[1])).toEqual([
      { conditions: ["referrer_class EQUALS direct", "landing_path EQUALS /lp", ...KEEP_CAMPAIGN], ...flight },
      { conditions: ["referrer_host EQUALS mail.google.com", "landing_path EQUALS /lp", ...KEEP_CAMPAIGN], ...flight },
    ]);
  });

  it("tells successive issues featuring one page apart by their weeks", () => {
    const rows = [
      group({}, { "2024-06-05": 50, "2024-06-19": 50 }, {}, { u: 100, a: 400 }),
      group(
        { landing_path: "/feature" },
        { "2024-06-05": 10, "2024-06-19": 10 },
        { nl_1: [40, "2024-06-04", "2024-06-10"], nl_2: [40, "2024-06-18", "2024-06-24"] },
      ),
    ];
    // Equal in value and sessions: ordered by id, which differs by the campaign.
    const patterns = selectPatterns(rows, settings).sort((x, y) => x.suggestedName.localeCompare(y.suggestedName));
    expect(patterns.map((p) => [p.suggestedName, Number(p.sessions)])).toEqual([
      ["Discovered: nl_1 untagged (/feature)", 10],
      ["Discovered: nl_2 untagged (/feature)", 10],
    ]);
    expect(patterns[0]?.id).not.toBe(patterns[1]?.id);
    expect(patterns.map((p) => rulesOf(p))).toEqual([
      [
        {
          conditions: ["landing_path EQUALS /feature", ...KEEP_CAMPAIGN],
          from: "2024-06-04T00:00:00.000Z",
          until: "2024-06-11T00:00:00.000Z",
        },
      ],
      [
        {
          conditions: ["landing_path EQUALS /feature", ...KEEP_CAMPAIGN],
          from: "2024-06-18T00:00:00.000Z",
          until: "2024-06-25T00:00:00.000Z",
        },
      ],
    ]);
  });
});
