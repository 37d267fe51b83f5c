import { LRUCache } from "lru-cache";

export interface L1Entry {
  organizationId: string;
  key: string;
  value: Uint8Array;
  expiresAt: number;
}

/** The in-process level: an LRU bounded by bytes, each entry with its own TTL. */
export function createL1(maxBytes: number) {
  const lru = new LRUCache<string, L1Entry>({
    maxSize: maxBytes,
    sizeCalculation: (entry) => entry.value.byteLength + entry.key.length * 2 + 64,
    ttlAutopurge: false,
  });
  return {
    get(fullKey: string): L1Entry | undefined {
      return lru.get(fullKey);
    },
    set(fullKey: string, entry: L1Entry, ttlMs: number): void {
      lru.set(fullKey, entry, { ttl: ttlMs });
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
    get entries(): number {
      return lru.size;
    },
    get bytes(): number {
      return lru.calculatedSize;
    },
  };
}

export type L1 = ReturnType<typeof createL1>;
