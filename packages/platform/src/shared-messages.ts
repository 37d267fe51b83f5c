/**
 * In-process answers are handed out as copies of one shared message that differ only in a few
 * per-call fields (the meta of a cached answer). Recording which message a copy shares lets
 * work that depends only on the shared part — rendering it as JSON, say — be done once per
 * shared message instead of once per call. Copies made in another process are never linked.
 */
const origins = new WeakMap<object, object>();

/** Marks `copy` as sharing every field but its meta with `origin`. */
export function linkSharedCopy<T extends object>(copy: T, origin: object): T {
  origins.set(copy, origins.get(origin) ?? origin);
  return copy;
}

/** The message `message` is a copy of, when it was made by `linkSharedCopy`. */
export function sharedOriginOf(message: object): object | undefined {
  return origins.get(message);
}
