/**
 * Per-organization gate between ingest writes and deletions. Any number of writes of an
 * organization may be in flight at once; a deletion waits until those have been written,
 * and writes that arrive meanwhile wait until it is over. So a deletion sees every event
 * acknowledged before it began, and an event accepted during it is checked against the
 * suppressions it registered. The gate is per ingest process: see the README for several.
 */
export function createWriteGate() {
  interface OrgGate {
    writers: number;
    /** Resolved when the running or queued deletion is over. */
    closed?: Promise<void>;
    drained?: () => void;
  }
  const gates = new Map<string, OrgGate>();
  const gateOf = (organizationId: string) => {
    const gate = gates.get(organizationId) ?? { writers: 0 };
    gates.set(organizationId, gate);
    return gate;
  };

  return {
    /** Waits while a deletion of the organization runs, then holds the gate open until `release`. */
    async enter(organizationId: string): Promise<() => void> {
      const gate = gateOf(organizationId);
      while (gate.closed) await gate.closed;
      gate.writers++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        gate.writers--;
        if (gate.writers === 0) gate.drained?.();
      };
    },

    /** Runs `work` once the organization's writes in flight are done, holding new ones back. */
    async exclusive<T>(organizationId: string, work: () => Promise<T>): Promise<T> {
      const gate = gateOf(organizationId);
      while (gate.closed) await gate.closed;
      let open = () => {};
      gate.closed = new Promise<void>((resolve) => {
        open = resolve;
      });
      try {
        if (gate.writers > 0) {
          await new Promise<void>((resolve) => {
            gate.drained = resolve;
          });
          gate.drained = undefined;
        }
        return await work();
      } finally {
        gate.closed = undefined;
        open();
      }
    },
  };
}

export type WriteGate = ReturnType<typeof createWriteGate>;
