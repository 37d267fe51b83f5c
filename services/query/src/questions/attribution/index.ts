import { create } from "@bufbuild/protobuf";
import { DateRangeSchema } from "@trellis/contracts";
import type { Question } from "../question.js";
import { overItsRange } from "../ranged.js";
import { runAttributionComparison } from "./run.js";
import { attributionDefaults } from "./settings.js";

const DAY_MS = 86_400_000;

export const attributionComparison: Question<"attributionComparison"> = {
  run: (ctx, request) => runAttributionComparison(ctx, request),
  freshness: overItsRange.freshness,
  // Touches and the conversions that end paths are read from `lookback_days` before the range
  // (and a day more for the time zone): new data there changes the answer too.
  dataRange: (request) => {
    const range = request.range;
    const start = Date.parse(`${range?.startDate ?? ""}T00:00:00Z`);
    if (!range || Number.isNaN(start)) return range;
    const lookbackDays = request.settings?.lookbackDays || attributionDefaults.lookbackDays;
    const earliest = new Date(start - (Math.min(lookbackDays, 3650) + 1) * DAY_MS);
    return create(DateRangeSchema, { ...range, startDate: earliest.toISOString().slice(0, 10) });
  },
};
