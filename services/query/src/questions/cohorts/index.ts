import type { Question } from "../question.js";
import { overItsRange } from "../ranged.js";
import { runCohorts } from "./run.js";

export const cohorts: Question<"cohorts"> = {
  run: (ctx, request) => runCohorts(ctx, request),
  ...overItsRange,
};
