import { describe, expect, it } from "vitest";
import {
  addDays,
  daysBetween,
  parseView,
  presetRange,
  previousPeriod,
  todayIn,
  type ViewState,
  viewUrl,
} from "../../src/view-url.js";

describe("the dashboard's view in its URL", () => {
  it("reads back every part of a view it wrote", () => {
    const view: ViewState = {
      page: "attribution",
      preset: "custom",
      from: "2026-03-01",
      to: "2026-03-31",
      timeZone: "Europe/Paris",
      filters: [
        { field: "channel", value: "paid_search" },
        { field: "landing_path", value: "/a:b?c=d&e" },
      ],
      asOf: 7,
      currency: "EUR",
    };
    const url = new URL(viewUrl(view), "http://dashboard.test");
    expect(url.pathname).toBe("/attribution");
    expect(parseView(url.pathname, url.search, "UTC")).toEqual(view);
  });

  it("recomputes a preset's dates from today in the view's time zone", () => {
    const view = parseView("/", "?range=7d&tz=Asia/Tokyo", "UTC");
    expect(view.page).toBe("overview");
    expect(view.to).toBe(todayIn("Asia/Tokyo"));
    expect(daysBetween(view.from, view.to)).toBe(7);
    expect(presetRange("today", "UTC")).toEqual({ from: todayIn("UTC"), to: todayIn("UTC") });
  });

  it("falls back to the defaults for what is missing or malformed", () => {
    const view = parseView(
      "/no-such-page",
      "?range=custom&from=2026-05-01&to=2026-04-01&tz=Mars/Olympus&asof=-3&currency=euro&filter=nocolon",
      "Not/AZone",
    );
    expect(view).toMatchObject({
      page: "overview",
      preset: "30d",
      timeZone: "UTC",
      asOf: 0,
      currency: "USD",
      filters: [],
    });
    expect(daysBetween(view.from, view.to)).toBe(30);
  });

  it("compares a range with the period of the same length just before it", () => {
    expect(previousPeriod("2026-03-01", "2026-03-31")).toEqual({ from: "2026-01-29", to: "2026-02-28" });
    expect(previousPeriod("2026-03-10", "2026-03-10")).toEqual({ from: "2026-03-09", to: "2026-03-09" });
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(daysBetween("2026-01-01", "2026-12-31")).toBe(365);
  });
});
