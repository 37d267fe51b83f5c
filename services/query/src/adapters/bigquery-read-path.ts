import {
  type BigQueryConfig,
  createBigQueryClient,
  createJobRunner,
  type JobRunner,
  qualified,
} from "@trellis/bigquery";
import type { Logger } from "@trellis/platform";

/**
 * BigQuery as questions read it (the seed's "L3"): query jobs against the exported dataset.
 * A question answers from it only over ranges of at least `minDays` days and only when every
 * day of the range was exported at the store's current version (see campaign-performance).
 */
export interface BigQueryReadPath {
  minDays: number;
  /** Runs one GoogleSQL statement; every tenant value goes in as a named parameter. */
  run: JobRunner;
  /** `project.dataset.table`, quoted for GoogleSQL. */
  table(name: string): string;
  /** Where a fall-through to the store is logged. */
  logger: Logger;
}

/** The read path of the configured project, or undefined when it is off (TRELLIS_BIGQUERY_READ_MIN_DAYS = 0). */
export function createBigQueryReadPath(
  config: BigQueryConfig | undefined,
  logger: Logger,
): BigQueryReadPath | undefined {
  if (!config || config.readMinDays === 0) return undefined;
  return {
    minDays: config.readMinDays,
    run: createJobRunner(createBigQueryClient(config), config, "trellis-query"),
    table: (name) => qualified(config.projectId, config.dataset, name),
    logger,
  };
}
