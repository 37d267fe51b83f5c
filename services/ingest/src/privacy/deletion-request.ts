import { createHash } from "node:crypto";
import type { CreateDeletionRequest } from "@trellis/contracts";
import { echo, type FieldViolation, ValidationError } from "@trellis/platform";

/** Most ids one deletion may name, all kinds together. */
export const MAX_DELETION_IDS = 5_000;
/** Longest id accepted (the longest visitor, session or click id ingest stores is shorter). */
export const MAX_ID_CHARS = 256;
const MAX_REQUEST_ID_CHARS = 128;
const UINT64_MAX = 18_446_744_073_709_551_615n;

/** What a deletion removes: ids of each kind, each once, in order. */
export interface DeletionSubjects {
  visitorIds: string[];
  sessionIds: string[];
  clickIds: string[];
  /** Decimal UInt64 keyed IP hashes, as `ip_hash` stores them. */
  ipHashes: string[];
}

export interface DeletionOrder {
  subjects: DeletionSubjects;
  suppress: boolean;
  /** The caller's idempotency key, or "" when none was given. */
  requestId: string;
  /**
   * SHA-256 of the organization, the sorted ids of every kind and `suppress`: what the audit
   * log keeps instead of the ids, and what tells a retried request from a different one.
   */
  digest: string;
}

function idList(values: readonly string[], field: string, violations: FieldViolation[]): string[] {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (value === "") violations.push({ field: `${field}[${index}]`, reason: "must not be empty" });
    else if (value.length > MAX_ID_CHARS)
      violations.push({ field: `${field}[${index}]`, reason: `must be at most ${MAX_ID_CHARS} characters` });
    else seen.add(value);
  });
  return [...seen];
}

function ipHashList(values: readonly string[], violations: FieldViolation[]): string[] {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (!/^\d{1,20}$/.test(value) || BigInt(value) > UINT64_MAX) {
      violations.push({ field: `ip_hashes[${index}]`, reason: `expected a decimal UInt64, got ${echo(value)}` });
    } else {
      seen.add(BigInt(value).toString());
    }
  });
  return [...seen];
}

/** Checks a deletion request and normalises it; every problem is reported at once. */
export function parseDeletionRequest(organizationId: string, request: CreateDeletionRequest): DeletionOrder {
  const total =
    request.visitorIds.length + request.sessionIds.length + request.clickIds.length + request.ipHashes.length;
  if (total === 0)
    throw ValidationError.field("visitor_ids", "name at least one visitor, session or click id or IP hash");
  if (total > MAX_DELETION_IDS)
    throw ValidationError.field(
      "visitor_ids",
      `a request names at most ${MAX_DELETION_IDS} ids in all (got ${total}); split it into several requests`,
    );
  const violations: FieldViolation[] = [];
  const subjects: DeletionSubjects = {
    visitorIds: idList(request.visitorIds, "visitor_ids", violations),
    sessionIds: idList(request.sessionIds, "session_ids", violations),
    clickIds: idList(request.clickIds, "click_ids", violations),
    ipHashes: ipHashList(request.ipHashes, violations),
  };
  if (request.requestId.length > MAX_REQUEST_ID_CHARS || /[^\w.:-]/.test(request.requestId))
    violations.push({
      field: "request_id",
      reason: `expected at most ${MAX_REQUEST_ID_CHARS} letters, digits, '_', '-', '.' or ':'`,
    });
  if (violations.length > 0) throw new ValidationError(violations);
  return {
    subjects,
    suppress: request.suppress,
    requestId: request.requestId,
    digest: subjectsDigest(organizationId, subjects, request.suppress),
  };
}

export function subjectsDigest(organizationId: string, subjects: DeletionSubjects, suppress: boolean): string {
  const hash = createHash("sha256").update(organizationId).update("\0");
  for (const list of [subjects.visitorIds, subjects.sessionIds, subjects.clickIds, subjects.ipHashes]) {
    for (const id of [...list].sort()) hash.update(id).update("\0");
    hash.update("\u0001");
  }
  return hash.update(suppress ? "suppress" : "keep").digest("hex");
}

/** The kinds of id a suppression refuses at ingest (an IP hash is computed later, in enrichment). */
export type SuppressedKind = "visitor_id" | "session_id" | "click_id";

/** SHA-256 of the organization, kind and id: what the suppression table keeps. */
export function suppressionHash(organizationId: string, kind: SuppressedKind, id: string): string {
  return createHash("sha256").update(`${organizationId}\0${kind}\0${id}`).digest("hex");
}
