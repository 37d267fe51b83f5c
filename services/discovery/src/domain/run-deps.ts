import type { Logger, OrgScope } from "@trellis/platform";
import type { Store } from "@trellis/store";
import type { CampaignClient } from "../adapters/campaign-client.js";
import type { RunStore } from "../runs/run-store.js";
import type { AnswerCache } from "./cached-answer.js";

/** What every discovery method runs with. */
export interface DiscoveryDeps {
  store: Store;
  campaigns: CampaignClient;
  runs: RunStore;
  /** Interactive answers read through the cache (see cached-answer.ts). */
  answers: AnswerCache;
  logger: Logger;
  clock: () => Date;
}

/** One call of a discovery method: for whom, why, and until when. */
export interface RunRequest {
  org: OrgScope;
  /** "request", or "schedule:<id>" for a scheduled run. */
  trigger: string;
  signal?: AbortSignal;
  deadlineMs?: number;
}
