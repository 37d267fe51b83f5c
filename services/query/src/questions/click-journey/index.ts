import { Freshness } from "@trellis/contracts";
import type { Question } from "../question.js";
import { runClickAttribution } from "./run.js";

export const clickAttribution: Question<"clickAttribution"> = {
  run: (ctx, request) => runClickAttribution(ctx, request),
  freshness: () => Freshness.HOURLY,
  // A click's journey may gain touches and conversions on any later date.
  dataRange: () => undefined,
};
