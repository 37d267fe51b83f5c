import { useEffect, useState } from "preact/hooks";
import { isAbort, type Problem, problemOf } from "./errors.js";

export type Answer<T> =
  | { state: "loading"; data?: undefined; problem?: undefined }
  | { state: "ready"; data: T; problem?: undefined }
  | { state: "failed"; data?: undefined; problem: Problem };

/**
 * Asks the API whenever `deps` change; an answer to an older question is dropped (its call is
 * aborted). `ask` receives the signal to pass to the call.
 */
export function useAnswer<T>(ask: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Answer<T> {
  const [answer, setAnswer] = useState<Answer<T>>({ state: "loading" });
  useEffect(() => {
    const controller = new AbortController();
    setAnswer({ state: "loading" });
    ask(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setAnswer({ state: "ready", data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted && !isAbort(error)) setAnswer({ state: "failed", problem: problemOf(error) });
      },
    );
    return () => controller.abort();
  }, deps);
  return answer;
}
