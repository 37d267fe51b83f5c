/**
 * A memo of a pure function of a string: what repeats in traffic (landing URLs, referrers,
 * addresses) is worked out once. Bounded: when full it starts empty again, which costs one
 * recomputation per entry and keeps the common case a single Map lookup (no recency upkeep).
 */
export function memoize<T>(compute: (key: string) => T, maxEntries: number): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    let value = memo.get(key);
    if (value === undefined && !memo.has(key)) {
      value = compute(key);
      if (memo.size >= maxEntries) memo.clear();
      memo.set(key, value);
    }
    return value as T;
  };
}
