import { create } from "@bufbuild/protobuf";
import { OrgContextSchema } from "@trellis/contracts";
import { createLogger, kOrgScope, type OrgScope } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { createDataVersionNotifier } from "../../src/adapters/data-versions.js";

const scopeOf = (organizationId: string): OrgScope => ({
  context: create(OrgContextSchema, { organizationId }),
  token: `token-${organizationId}`,
});

/** The cache's AdvanceDataVersion as the notifier calls it: each call's dates and organization. */
function recordingCache() {
  const calls: Array<{ organizationId: string; dates: string[] }> = [];
  const cache = {
    async advanceDataVersion(req: { dates: string[] }, options: { contextValues?: { get: typeof Map.prototype.get } }) {
      const scope = options.contextValues?.get(kOrgScope) as OrgScope | undefined;
      calls.push({ organizationId: scope?.context.organizationId ?? "(none)", dates: [...req.dates].sort() });
      return {};
    },
  };
  return { cache, calls };
}

describe("data-version notifier", () => {
  it("advances once for the batches of one flush that touch the same dates", async () => {
    const { cache, calls } = recordingCache();
    const notifier = createDataVersionNotifier(cache as never, createLogger({ service: "ingest", level: "silent" }));
    const org = scopeOf("org_a");
    await Promise.all([
      notifier.notify(org, 1, new Set(["2026-01-02", "2026-01-01"])),
      notifier.notify(org, 1, new Set(["2026-01-01", "2026-01-02"])),
    ]);
    expect(calls).toEqual([{ organizationId: "org_a", dates: ["2026-01-01", "2026-01-02"] }]);
  });

  it("advances the dates of every batch of a flush, not only the first one's", async () => {
    const { cache, calls } = recordingCache();
    const notifier = createDataVersionNotifier(cache as never, createLogger({ service: "ingest", level: "silent" }));
    const org = scopeOf("org_a");
    await Promise.all([
      notifier.notify(org, 7, new Set(["2026-01-01"])),
      notifier.notify(org, 7, new Set(["2026-03-09"])),
    ]);
    expect(calls.map((c) => c.dates).sort()).toEqual([["2026-01-01"], ["2026-03-09"]]);
  });

  it("advances each organization as itself, even in the same flush", async () => {
    const { cache, calls } = recordingCache();
    const notifier = createDataVersionNotifier(cache as never, createLogger({ service: "ingest", level: "silent" }));
    await Promise.all([
      notifier.notify(scopeOf("org_a"), 3, new Set(["2026-01-01"])),
      notifier.notify(scopeOf("org_b"), 3, new Set(["2026-01-01"])),
    ]);
    expect(calls.map((c) => c.organizationId).sort()).toEqual(["org_a", "org_b"]);
  });
});
