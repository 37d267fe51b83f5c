import { hash, randomUUID } from "node:crypto";
import { ValidationError } from "@trellis/platform";
import type { ValidEvent } from "./validate.js";

const BATCH_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BatchIdentity {
  batchId: string;
  /** Whether a retry of this batch can be recognised (client batch id, or every event id from the client). */
  recognisable: boolean;
}

/**
 * The batch's identity for idempotent retries: the client's batch id, else a digest of its
 * client-chosen event ids, else a fresh id (such a batch cannot be told apart from a retry).
 */
/** Why a client's batch id is refused, if it is. */
export const BATCH_ID_REASON = "must be 1-128 letters, digits, '.', '_', ':' or '-'";

/**
 * Refuses a client's batch id before anything of its batch is prepared, naming `field`
 * (`batch_id`, or the `Idempotency-Key` header it came from). An empty id is no id.
 */
export function checkBatchId(clientBatchId: string, field = "batch_id"): void {
  if (clientBatchId !== "" && !BATCH_ID_PATTERN.test(clientBatchId))
    throw ValidationError.field(field, `${BATCH_ID_REASON} (got ${clientBatchId.length} characters)`);
}

export function batchIdentity(clientBatchId: string, events: readonly ValidEvent[]): BatchIdentity {
  if (clientBatchId) {
    checkBatchId(clientBatchId);
    return { batchId: clientBatchId, recognisable: true };
  }
  if (events.length > 0 && events.every((e) => e.clientEventId)) {
    // The sorted ids each followed by NUL, hashed in one piece (one call, not two per id).
    const ids = events.map((e) => e.eventId).sort();
    const digest = hash("sha256", `${ids.join("\u0000")}\u0000`, "base64url");
    return { batchId: `ev:${digest.slice(0, 32)}`, recognisable: true };
  }
  return { batchId: randomUUID(), recognisable: false };
}
