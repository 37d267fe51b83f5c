/** Concurrent calls with the same key share one execution (singleflight). */
export function createCoalescer() {
  const inFlight = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const existing = inFlight.get(key);
      if (existing) return existing as Promise<T>;
      const promise = work().finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return promise;
    },
    get size(): number {
      return inFlight.size;
    },
  };
}
