import { useEffect, useState } from "preact/hooks";
import { isAbort, type Problem, problemOf } from "./errors.js";

export type Answer<T> =
  | { state: "loading"; data?: undefined; problem?: undefined }
  | { state: "ready"; data: T; problem?: undefined }
  | { state: "failed"; data?: undefined; problem: Problem };

const loading = { state: "loading" } as const;

/**
 * Asks the API whenever `deps` change; an answer to an older question is dropped (its call is
 * aborted). `ask` receives the signal to pass to the call.
 *
 * The answer is returned only while `deps` are still the ones it was asked with: in the render
 * right after a setting changes (before the effect below has run) it reads as loading, so no
 * panel ever draws an answer beside settings it was not computed for.
 */
export function useAnswer<T>(ask: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Answer<T> {
  const [held, setHeld] = useState<{ answer: Answer<T>; deps: unknown[] }>({ answer: loading, deps });
  useEffect(() => {
    const controller = new AbortController();
    setHeld({ answer: loading, deps });
    ask(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setHeld({ answer: { state: "ready", data }, deps });
      },
      (error: unknown) => {
        if (!controller.signal.aborted && !isAbort(error)) {
          setHeld({ answer: { state: "failed", problem: problemOf(error) }, deps });
        }
      },
    );
    return () => controller.abort();
  }, deps);
  return sameDeps(held.deps, deps) ? held.answer : loading;
}

function sameDeps(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}
