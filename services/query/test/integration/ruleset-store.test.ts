import { rmSync } from "node:fs";
import { createLogger } from "@trellis/platform";
import { createStore, type Store } from "@trellis/store";
import type { StoredCampaign } from "@trellis/traffic-rules";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { createRulesetStore, type RulesetChange } from "../../src/adapters/ruleset-store.js";
import { createRulesetProvider } from "../../src/handlers/rulesets.js";

const dataDir = tempDir("rulesets");
let store: Store;

beforeAll(async () => {
  store = createStore(
    { database: testDatabase("rulesets"), dataDir, requestTimeoutMs: 30_000, maxOpenConnections: 4 },
    { logger: createLogger({ service: "test", level: "silent" }) },
  );
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function create(id: string): RulesetChange {
  return {
    principal: "test",
    describe: (c) => `create ${c.id}`,
    apply: (_current, version): StoredCampaign => ({
      id,
      name: id,
      priority: 0,
      archived: false,
      rules: [{ conditions: [{ field: "source", operator: "equals", values: [id] }] }],
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      version,
    }),
  };
}

describe("ruleset versions in the store", () => {
  it("gives writers that race for one version distinct versions, losing nothing", async () => {
    // Two stores stand for two query instances: their in-process queues do not see each other.
    const instances = Array.from({ length: 4 }, () => createRulesetStore(store));
    const written = await Promise.all(instances.map((instance, i) => instance.change("race", create(`c${i}`))));
    expect(written.map((w) => w.ruleset.version).sort()).toEqual([1, 2, 3, 4]);
    const newest = await instances[0]?.newest("race");
    expect(newest?.version).toBe(4);
    expect(newest?.campaigns.map((c) => c.id).sort()).toEqual(["c0", "c1", "c2", "c3"]);
    const versions = await instances[0]?.versions("race", 10);
    expect(versions?.map((v) => v.version)).toEqual([4, 3, 2, 1]);
  });

  it("keeps every version whole, and refuses a version that never existed", async () => {
    const rulesets = createRulesetStore(store);
    await rulesets.change("history", create("first"));
    await rulesets.change("history", create("second"));
    expect((await rulesets.atVersion("history", 1)).campaigns.map((c) => c.id)).toEqual(["first"]);
    expect((await rulesets.atVersion("history", 2)).campaigns.map((c) => c.id)).toEqual(["first", "second"]);
    expect((await rulesets.atVersion("history", 0)).campaigns).toEqual([]);
    await expect(rulesets.atVersion("history", 3)).rejects.toThrow(/version 3 does not exist/);
    expect((await rulesets.newest("nobody")).version).toBe(0);
  });

  it("reuses the current ruleset only while it is fresh, and sees this process's changes at once", async () => {
    const rulesets = createRulesetStore(store);
    let now = 0;
    const provider = createRulesetProvider(rulesets, { freshForMs: 1_000, now: () => now });
    expect((await provider.resolve("fresh", 0)).ruleset.version).toBe(0);
    // Another instance writes: not seen until the reused copy is older than freshForMs.
    await createRulesetStore(store).change("fresh", create("elsewhere"));
    expect((await provider.resolve("fresh", 0)).ruleset.version).toBe(0);
    now = 1_001;
    const active = await provider.resolve("fresh", 0);
    expect(active.ruleset.version).toBe(1);
    expect(active.effectiveCampaign.sql).toContain("multiIf(");
    const { ruleset } = await rulesets.change("fresh", create("here"));
    provider.remember("fresh", ruleset);
    expect((await provider.resolve("fresh", 0)).ruleset.version).toBe(2);
    expect((await provider.resolve("fresh", 1)).ruleset.campaigns.map((c) => c.id)).toEqual(["elsewhere"]);
  });
});
