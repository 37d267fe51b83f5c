import { Freshness } from "@trellis/contracts";
import type { Question } from "../question.js";
import { describeCatalog } from "./run.js";

export const catalog: Question<"catalog"> = {
  run: async () => describeCatalog(),
  freshness: () => Freshness.HISTORICAL,
  dataRange: () => undefined,
};
