import { Freshness } from "@trellis/contracts";
import type { Question } from "../question.js";
import { createAdmission } from "./admission.js";
import { runSql, sqlLimits } from "./run.js";

/** Tenant SQL, admitted a few statements at a time (each holds an engine thread for long). */
export function createSqlQuestion(): Question<"sql"> {
  const admission = createAdmission(sqlLimits.admission);
  return {
    run: (ctx, request) => admission.run(ctx.organizationId, ctx.signal, () => runSql(ctx, request)),
    freshness: () => Freshness.HOURLY,
    // A statement may read any dates.
    dataRange: () => undefined,
  };
}
