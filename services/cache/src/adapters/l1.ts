import { LRUCache } from "lru-cache";
import type { Entry } from "../domain/envelope.js";

/** The in-process level: an LRU bounded by bytes, each entry with its own TTL. */
export function createL1(maxBytes: number) {
  const lru = new LRUCache<string, Entry>({
    maxSize: maxBytes,
    sizeCalculation: (entry) => entry.value.byteLength + entry.key.length * 2 + entry.organizationId.length * 2 + 96,
    ttlAutopurge: false,
  });
  return {
    get(fullKey: string): Entry | undefined {
      return lru.get(fullKey);
    },
    set(entry: Entry, ttlMs: number): void {
      if (ttlMs <= 0) return;
      lru.set(entry.key, entry, { ttl: Math.ceil(ttlMs) });
    },
    deleteOrganization(organizationId: string): number {
      let removed = 0;
      for (const [fullKey, entry] of lru.entries()) {
        if (entry.organizationId === organizationId) {
          lru.delete(fullKey);
          removed++;
        }
      }
      return removed;
    },
    clear(): void {
      lru.clear();
    },
    get entries(): number {
      return lru.size;
    },
    get bytes(): number {
      return lru.calculatedSize;
    },
  };
}

export type L1 = ReturnType<typeof createL1>;
