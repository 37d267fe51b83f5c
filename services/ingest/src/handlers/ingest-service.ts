import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Event, EventError, IngestService } from "@trellis/contracts";
import { type OrgScope, requireOrgScope, ValidationError } from "@trellis/platform";
import type { BatchWriter } from "../adapters/batch-writer.js";
import type { DataVersionNotifier } from "../adapters/data-versions.js";
import type { Preparer } from "../adapters/preparer.js";
import { checkBatchId } from "../domain/batch-key.js";
import { limits } from "../domain/limits.js";

export interface IngestDeps {
  preparer: Preparer;
  writer: BatchWriter;
  versions: DataVersionNotifier;
  clock?: () => Date;
}

interface BatchOutcome {
  batchId: string;
  acceptedEventIds: string[];
  rejected: Array<Pick<EventError, "index" | "field" | "reason">>;
}

/** DEFAULT_RETENTION_DAYS of Warden; an org context without one keeps events this long. */
const FALLBACK_RETENTION_DAYS = 365 * 7;

export function createIngestService(deps: IngestDeps): ServiceImpl<typeof IngestService> {
  const clock = deps.clock ?? (() => new Date());

  async function ingestBatch(
    scope: OrgScope,
    clientBatchId: string,
    events: readonly Event[],
    path = "",
  ): Promise<BatchOutcome> {
    const org = scope.context;
    // Checked here, before the batch goes to a worker: a refusal is the caller's error.
    checkBatchId(clientBatchId, `${path}batch_id`);
    if (events.length > limits.eventsPerBatch) {
      throw ValidationError.field(
        `${path}events`,
        `must hold at most ${limits.eventsPerBatch} events (got ${events.length}); split the batch`,
      );
    }
    const retentionDays = org.retentionDays || FALLBACK_RETENTION_DAYS;
    const prepared = await deps.preparer.prepare(events, {
      organizationId: org.organizationId,
      retentionDays,
      clientBatchId,
      receivedAt: clock(),
    });
    const { identity, block, rows, dates, rejected } = prepared;
    if (rows === 0) return { batchId: identity.batchId, acceptedEventIds: [], rejected };
    const result = await deps.writer.submit({
      organizationId: org.organizationId,
      batchKey: identity.recognisable ? { batchId: identity.batchId } : undefined,
      block,
      rows,
      dates,
    });
    if (!result.duplicate) await deps.versions.notify(scope, result.flushId, dates);
    return { batchId: identity.batchId, acceptedEventIds: prepared.acceptedEventIds, rejected };
  }

  return {
    async ingestEvents(req, ctx: HandlerContext) {
      const outcome = await ingestBatch(requireOrgScope(ctx.values), req.batchId, req.events);
      return {
        batchId: outcome.batchId,
        accepted: outcome.acceptedEventIds.length,
        acceptedEventIds: outcome.acceptedEventIds,
        rejected: outcome.rejected,
      };
    },

    async streamEvents(requests, ctx: HandlerContext) {
      const scope = requireOrgScope(ctx.values);
      let batches = 0;
      let accepted = 0;
      const rejected: BatchOutcome["rejected"] = [];
      for await (const request of requests) {
        const outcome = await ingestBatch(scope, request.batchId, request.events, `batches[${batches}].`);
        batches++;
        accepted += outcome.acceptedEventIds.length;
        for (const error of outcome.rejected) {
          rejected.push({ ...error, field: `batches[${batches - 1}].${error.field}` });
        }
      }
      return { batches, accepted, rejected };
    },
  };
}
