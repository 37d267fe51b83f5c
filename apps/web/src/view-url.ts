// The page's state as its URL holds it: pure functions, no DOM (unit-tested in node).

/**
 * What the page shows lives in its URL, so a view can be shared: the path names the page, the
 * query holds the range, time zone, filters and the ruleset version the numbers are computed under.
 */
export interface ViewState {
  page: PageName;
  preset: Preset;
  from: string;
  to: string;
  timeZone: string;
  filters: PageFilter[];
  /** Campaign ruleset version to answer under; 0 = current. */
  asOf: number;
  currency: string;
}

export interface PageFilter {
  field: string;
  value: string;
}

export const pages = {
  overview: { path: "/", title: "Overview" },
  attribution: { path: "/attribution", title: "Attribution" },
  funnels: { path: "/funnels", title: "Funnels & cohorts" },
  campaigns: { path: "/campaigns", title: "Campaigns" },
  discovery: { path: "/discovery", title: "Discovery" },
  sql: { path: "/sql", title: "SQL" },
  data: { path: "/data", title: "Getting data in" },
} as const;
export type PageName = keyof typeof pages;

export const presets = {
  today: { label: "Today", days: 1 },
  "7d": { label: "Last 7 days", days: 7 },
  "30d": { label: "Last 30 days", days: 30 },
  "90d": { label: "Last 90 days", days: 90 },
  "365d": { label: "Last 12 months", days: 365 },
  custom: { label: "Custom", days: 0 },
} as const;
export type Preset = keyof typeof presets;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Today's calendar date in a time zone, YYYY-MM-DD. */
export function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(),
  );
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** The range a preset covers, ending today in the time zone. */
export function presetRange(preset: Exclude<Preset, "custom">, timeZone: string): { from: string; to: string } {
  const to = todayIn(timeZone);
  return { from: addDays(to, 1 - presets[preset].days), to };
}

/** The period of the same length just before [from, to]. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  const days = daysBetween(from, to);
  return { from: addDays(from, -days), to: addDays(from, -1) };
}

function validTimeZone(value: string | null): string | undefined {
  if (!value) return undefined;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return value;
  } catch {
    return undefined;
  }
}

/** The view a URL describes; anything missing or malformed falls back to the defaults. */
export function parseView(pathname: string, search: string, defaultTimeZone: string): ViewState {
  const query = new URLSearchParams(search);
  const page = (Object.entries(pages).find(([, p]) => p.path === pathname)?.[0] as PageName | undefined) ?? "overview";
  const timeZone = validTimeZone(query.get("tz")) ?? validTimeZone(defaultTimeZone) ?? "UTC";
  const asked = query.get("range") ?? "30d";
  let preset: Preset = asked in presets ? (asked as Preset) : "30d";
  let from = query.get("from") ?? "";
  let to = query.get("to") ?? "";
  if (preset !== "custom" || !DATE.test(from) || !DATE.test(to) || from > to) {
    if (preset === "custom") preset = "30d";
    ({ from, to } = presetRange(preset as Exclude<Preset, "custom">, timeZone));
  }
  const filters = query.getAll("filter").flatMap((f) => {
    const at = f.indexOf(":");
    return at > 0 ? [{ field: f.slice(0, at), value: f.slice(at + 1) }] : [];
  });
  const asOf = Number(query.get("asof") ?? "0");
  const currency = /^[A-Z]{3}$/.test(query.get("currency") ?? "") ? (query.get("currency") as string) : "USD";
  return {
    page,
    preset,
    from,
    to,
    timeZone,
    filters,
    asOf: Number.isSafeInteger(asOf) && asOf > 0 ? asOf : 0,
    currency,
  };
}

/** The URL of a view: parseView of it gives the view back. */
export function viewUrl(state: ViewState): string {
  const query = new URLSearchParams();
  query.set("range", state.preset);
  if (state.preset === "custom") {
    query.set("from", state.from);
    query.set("to", state.to);
  }
  query.set("tz", state.timeZone);
  for (const f of state.filters) query.append("filter", `${f.field}:${f.value}`);
  if (state.asOf > 0) query.set("asof", String(state.asOf));
  if (state.currency !== "USD") query.set("currency", state.currency);
  return `${pages[state.page].path}?${query}`;
}
