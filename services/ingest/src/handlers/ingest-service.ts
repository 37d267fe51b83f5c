import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { EncodedBatch, Event, EventError, IngestService } from "@trellis/contracts";
import { type OrgScope, requireOrgScope, ValidationError } from "@trellis/platform";
import type { BatchWriter, SubmitResult } from "../adapters/batch-writer.js";
import type { DataVersionNotifier } from "../adapters/data-versions.js";
import type { Preparer } from "../adapters/preparer.js";
import { checkBatchId } from "../domain/batch-key.js";
import { limits } from "../domain/limits.js";
import type { PreparedBatch } from "../domain/prepare.js";
import type { BatchSource } from "../domain/prepare-request.js";
import type { PiiKeyring } from "../privacy/pii-keyring.js";
import type { SuppressionFilter } from "../privacy/suppressions.js";
import type { WriteGate } from "../privacy/write-gate.js";

export interface IngestDeps {
  preparer: Preparer;
  writer: BatchWriter;
  versions: DataVersionNotifier;
  /** Holds writes back while a deletion of the organization runs (privacy/write-gate.ts). */
  gate?: WriteGate;
  /** Refuses events of ids a deletion suppressed (privacy/suppressions.ts). */
  suppressions?: SuppressionFilter;
  /** The organization's personal-data policy (privacy/pii-keyring.ts); redaction when absent. */
  pii?: Pick<PiiKeyring, "policyFor">;
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
    source: BatchSource,
    path = "",
  ): Promise<BatchOutcome> {
    const org = scope.context;
    if (source.events) {
      // Checked here, before the batch goes to a worker: a refusal is the caller's error. An
      // encoded batch is checked where it is read (prepare-request.ts).
      checkBatchId(clientBatchId, `${path}batch_id`);
      if (source.events.length > limits.eventsPerBatch) {
        throw ValidationError.field(
          `${path}events`,
          `must hold at most ${limits.eventsPerBatch} events (got ${source.events.length}); split the batch`,
        );
      }
    }
    const release = await deps.gate?.enter(org.organizationId);
    try {
      return await prepareAndWrite(scope, clientBatchId, source, path);
    } finally {
      release?.();
    }
  }

  async function prepareAndWrite(
    scope: OrgScope,
    clientBatchId: string,
    source: BatchSource,
    path: string,
  ): Promise<BatchOutcome> {
    const org = scope.context;
    const suppressed = await deps.suppressions?.hashes(org.organizationId);
    const retentionDays = org.retentionDays || FALLBACK_RETENTION_DAYS;
    const pii = await deps.pii?.policyFor(org.organizationId);
    // The writer holds its next flush for this batch while it is prepared (batch-writer.ts).
    const arrived = deps.writer.announce();
    let prepared: PreparedBatch;
    let written: Promise<SubmitResult> | undefined;
    try {
      prepared = await deps.preparer.prepare(source, {
        organizationId: org.organizationId,
        retentionDays,
        clientBatchId,
        receivedAt: clock(),
        pii,
        path,
        // Refused where the batch is prepared; most organizations have none to send.
        suppressed: suppressed && suppressed.size > 0 ? suppressed : undefined,
      });
      if (prepared.rows > 0)
        written = deps.writer.submit({
          organizationId: org.organizationId,
          batchKey: prepared.identity.recognisable ? { batchId: prepared.identity.batchId } : undefined,
          block: prepared.block,
          rows: prepared.rows,
          dates: prepared.dates,
        });
    } finally {
      arrived();
    }
    const { identity, dates, rejected } = prepared;
    if (!written) return { batchId: identity.batchId, acceptedEventIds: [], rejected };
    const result = await written;
    if (!result.duplicate) await deps.versions.notify(scope, result.flushId, dates);
    return { batchId: identity.batchId, acceptedEventIds: prepared.acceptedEventIds, rejected };
  }

  return {
    async ingestEvents(req, ctx: HandlerContext) {
      const scope = requireOrgScope(ctx.values);
      const outcome = await ingestBatch(scope, req.batchId, batchSource(req, ""));
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
        const path = `batches[${batches}].`;
        const outcome = await ingestBatch(scope, request.batchId, batchSource(request, path), path);
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

/** The events a request brought, or the body its client wrote (`encoded`, with `events` empty). */
function batchSource(request: { events: Event[]; encoded?: EncodedBatch }, path: string): BatchSource {
  if (!request.encoded) return { events: request.events };
  if (request.events.length > 0)
    throw ValidationError.field(`${path}events`, "must be empty when the batch comes encoded (encoded.body)");
  const { body, contentType, batchIdField } = request.encoded;
  return { encoded: { body, contentType, batchIdField } };
}
