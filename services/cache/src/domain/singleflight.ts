/** Concurrent calls with the same key share one execution. */
export function createSingleflight<T>() {
  const inFlight = new Map<string, Promise<T>>();
  return {
    /** Runs `work` unless a call for `key` is in flight; `shared` says which happened. */
    run(key: string, work: () => Promise<T>): { promise: Promise<T>; shared: boolean } {
      const existing = inFlight.get(key);
      if (existing) return { promise: existing, shared: true };
      const promise = work().finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return { promise, shared: false };
    },
    get size(): number {
      return inFlight.size;
    },
  };
}
