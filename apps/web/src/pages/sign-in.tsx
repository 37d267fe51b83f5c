import type { GetSessionResponse } from "@trellis/contracts";
import { useState } from "preact/hooks";
import { session, storeKey } from "../api.js";
import { problemOf } from "../errors.js";

/** Sign-in with an API key; the key is kept for this tab only. */
export function SignIn(props: {
  note?: string | undefined;
  onSignedIn: (who: GetSessionResponse) => void;
  onRefused: (note: string) => void;
}) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Trellis</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          storeKey(key.trim());
          session.getSession({}).then(
            (who) => {
              setBusy(false);
              if (!who.scopes.includes("analytics:read")) {
                storeKey(undefined);
                props.onRefused(
                  `This key of ${who.organizationName || who.organizationId} lacks the analytics:read scope: the dashboard needs it. Its scopes: ${who.scopes.join(", ") || "none"}.`,
                );
                return;
              }
              props.onSignedIn(who);
            },
            (error: unknown) => {
              setBusy(false);
              storeKey(undefined);
              props.onRefused(problemOf(error).message);
            },
          );
        }}
      >
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          placeholder="trk_…"
        />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p class="hint">The key is kept in this browser tab only and forgotten when the tab closes.</p>
        {props.note && (
          <p class="problem" role="alert">
            {props.note}
          </p>
        )}
      </form>
    </main>
  );
}
