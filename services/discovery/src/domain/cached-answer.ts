import { createHash } from "node:crypto";
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { AnswerSource, DateRangeSchema, type Freshness, type ResultMeta } from "@trellis/contracts";
import type { CacheClient, Logger } from "@trellis/platform";
import type { RunRequest } from "./run-deps.js";

/** What one discovery answer is cached by. */
export interface AnswerSpec<Desc extends DescMessage> {
  kind: "patterns" | "anomalies" | "fraud";
  schema: Desc;
  /** The request as the method normalized it: everything the answer depends on but the data and the campaigns. */
  request: Record<string, string | number | boolean | readonly string[]>;
  /** The ruleset the answer is computed under, when it reads campaigns. */
  rulesetVersion?: number;
  /** The dates of data the method reads (its comparison window included). */
  dataRange: { startDate: string; endDate: string };
  freshness: Freshness;
}

type WithMeta = { meta?: ResultMeta };

/**
 * Discovery answers read through the cache as the query service's answers do: the key is a
 * digest of the normalized request (plus the ruleset version when the answer reads campaigns),
 * and the cache namespaces it by the organization and its data and ruleset versions, so new data
 * or a campaign change leaves an old answer unreachable. An answer is computed once per key —
 * its run stored once — and identical calls within those versions get it back with its run id:
 * a dashboard that asks on every page load stores no run per view. Scheduled runs always compute
 * and store their run (that is what they are for), and refresh the entry. Without a cache (a
 * discovery process configured without one) every call computes.
 */
export function createAnswerCache(cache: CacheClient | undefined, logger: Logger) {
  return {
    async answer<Desc extends DescMessage>(
      call: RunRequest,
      spec: AnswerSpec<Desc>,
      compute: () => Promise<MessageShape<Desc> & WithMeta>,
    ): Promise<MessageShape<Desc> & WithMeta> {
      if (!cache) return compute();
      const digest = createHash("sha256").update(JSON.stringify(spec.request)).digest("base64url").slice(0, 32);
      const key = `d1:${spec.kind}:${digest}${spec.rulesetVersion === undefined ? "" : `:r${spec.rulesetVersion}`}`;
      const dataRange = create(DateRangeSchema, spec.dataRange);
      const cached = await cache.get(call.org, key, dataRange);
      if (cached?.found && call.trigger === "request") {
        const answer = fromBinary(spec.schema, cached.value) as MessageShape<Desc> & WithMeta;
        if (answer.meta) answer.meta.source = cached.source;
        logger.debug(
          { organization_id: call.org.context.organizationId, cache_key: key, kind: spec.kind },
          "discovery answer from the cache",
        );
        return answer;
      }
      const answer = await compute();
      if (answer.meta) answer.meta.source = AnswerSource.STORE;
      if (cached) {
        await cache.set(call.org, {
          key,
          value: toBinary(spec.schema, answer),
          freshness: spec.freshness,
          dataVersion: cached.dataVersion,
          rulesetVersion: cached.rulesetVersion,
          dataRange,
        });
      }
      return answer;
    },
  };
}

export type AnswerCache = ReturnType<typeof createAnswerCache>;
