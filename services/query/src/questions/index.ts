import { attributionComparison } from "./attribution/index.js";
import { campaignPerformance } from "./campaign-performance/index.js";
import { catalog } from "./catalogue/index.js";
import { clickAttribution } from "./click-journey/index.js";
import { cohorts } from "./cohorts/index.js";
import { funnel } from "./funnel/index.js";
import type { Questions } from "./question.js";
import { realtime } from "./realtime/index.js";
import { report } from "./report/index.js";
import { createSqlQuestion } from "./sql/index.js";
import { traffic } from "./traffic/index.js";

export type { Question, QuestionKind, Questions } from "./question.js";

/**
 * Every analytics question the query service answers, by its name in the AnalyticsQuery
 * oneof. A new question is a folder beside these and a line here.
 */
export function createQuestions(): Questions {
  return {
    traffic,
    report,
    campaignPerformance,
    funnel,
    cohorts,
    realtime,
    attributionComparison,
    clickAttribution,
    sql: createSqlQuestion(),
    catalog,
  };
}
