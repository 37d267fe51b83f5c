import { useEffect, useState } from "preact/hooks";
import { parseView, presetRange, type ViewState, viewUrl } from "./view-url.js";

export * from "./view-url.js";

/** The view the address bar holds now. */
export function readViewState(): ViewState {
  return parseView(window.location.pathname, window.location.search, Intl.DateTimeFormat().resolvedOptions().timeZone);
}

const listeners = new Set<() => void>();
window.addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

/** Moves the page to a new state (a new history entry, so Back works). */
export function navigate(change: Partial<ViewState>): void {
  const next = { ...readViewState(), ...change };
  if (change.preset && change.preset !== "custom") Object.assign(next, presetRange(change.preset, next.timeZone));
  window.history.pushState(null, "", viewUrl(next));
  for (const listener of listeners) listener();
}

/** The current view state, re-read whenever the URL changes. */
export function useViewState(): ViewState {
  const [state, setState] = useState(readViewState);
  useEffect(() => {
    const listener = () => setState(readViewState());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return state;
}
