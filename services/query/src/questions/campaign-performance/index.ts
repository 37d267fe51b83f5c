import type { Question } from "../question.js";
import { overItsRange } from "../ranged.js";
import { runCampaignPerformance } from "./run.js";

export const campaignPerformance: Question<"campaignPerformance"> = {
  run: (ctx, request) => runCampaignPerformance(ctx, request),
  ...overItsRange,
};
