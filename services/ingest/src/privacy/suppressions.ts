import type { Event } from "@trellis/contracts";
import { type SuppressedKind, suppressionHash } from "./deletion-request.js";
import type { PrivacyRecords } from "./privacy-records.js";

/** How long an ingest process reuses an organization's suppressions before reading them again. */
const REFRESH_MS = 10_000;

export interface SuppressedEvent {
  index: number;
  field: string;
  reason: string;
}

/** An organization's suppressed ids by kind, each as its {@link suppressionHash}. */
export type SuppressedHashes = Map<SuppressedKind, Set<string>>;

/** What screening reads of an event: its ids. */
type ScreenedIds = Pick<Event, "visitorId" | "sessionId" | "clickId">;

export interface ScreenedEvents<E extends ScreenedIds = Event> {
  kept: E[];
  /** Position in the events screened of each kept event. */
  keptIndexes: number[];
  refused: SuppressedEvent[];
}

/** Refuses the events of suppressed visitor, session and click ids: a pure function of its inputs, for any thread. */
export function screenEvents<E extends ScreenedIds>(
  organizationId: string,
  events: readonly E[],
  hashes: ReadonlyMap<SuppressedKind, ReadonlySet<string>>,
): ScreenedEvents<E> {
  if (hashes.size === 0) return { kept: [...events], keptIndexes: events.map((_, i) => i), refused: [] };
  const kept: E[] = [];
  const keptIndexes: number[] = [];
  const refused: SuppressedEvent[] = [];
  events.forEach((event, index) => {
    const hit = (
      [
        ["visitor_id", event.visitorId],
        ["session_id", event.sessionId],
        ["click_id", event.clickId],
      ] as const
    ).find(([kind, id]) => id !== "" && hashes.get(kind)?.has(suppressionHash(organizationId, kind, id)));
    if (hit) refused.push({ index, field: hit[0], reason: "suppressed by a privacy deletion request" });
    else {
      kept.push(event);
      keptIndexes.push(index);
    }
  });
  return { kept, keptIndexes, refused };
}

/**
 * Refuses events of suppressed visitor, session and click ids. The organization's hashes are
 * read once per {@link REFRESH_MS} (another ingest process sees a new suppression within that);
 * a suppression made in this process is seen at once (`refresh`).
 */
export function createSuppressionFilter(records: Pick<PrivacyRecords, "suppressions">) {
  const known = new Map<string, { at: number; hashes: Map<SuppressedKind, Set<string>> }>();

  async function hashesOf(organizationId: string): Promise<SuppressedHashes> {
    const entry = known.get(organizationId);
    if (entry && Date.now() - entry.at < REFRESH_MS) return entry.hashes;
    const hashes = await records.suppressions(organizationId);
    known.set(organizationId, { at: Date.now(), hashes });
    return hashes;
  }

  return {
    async refresh(organizationId: string): Promise<void> {
      known.delete(organizationId);
      await hashesOf(organizationId);
    },

    /**
     * The organization's suppressed ids, hashed (empty when none): what {@link screenEvents}
     * needs, for screening on another thread.
     */
    hashes: hashesOf,

    /** The events to keep and, for each refused one, its index and why. */
    async filter(organizationId: string, events: readonly Event[]): Promise<ScreenedEvents> {
      return screenEvents(organizationId, events, await hashesOf(organizationId));
    },
  };
}

export type SuppressionFilter = ReturnType<typeof createSuppressionFilter>;
