import type { Question } from "../question.js";
import { overItsRange } from "../ranged.js";
import { runFunnel } from "./run.js";

export const funnel: Question<"funnel"> = {
  run: (ctx, request) => runFunnel(ctx, request),
  ...overItsRange,
};
