import { createLogger } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { ensureSchema, SchemaBehindError, type Store } from "../../src/index.js";

// The decision a service makes about its store's schema at start; the stores are stand-ins
// with only what the decision reads (the migrations themselves are tested on the real engine).
const logger = createLogger({ service: "test", level: "silent" });

function storeOf(backend: Store["backend"], pending: number[]) {
  const calls: string[] = [];
  const store = {
    backend,
    database: "trellis",
    async migrate() {
      calls.push("migrate");
      return pending;
    },
    async pendingMigrations() {
      calls.push("pending");
      return pending;
    },
  } as unknown as Store;
  return { store, calls };
}

describe("a service's schema at start", () => {
  it("migrates its own embedded engine, which nobody else can", async () => {
    const { store, calls } = storeOf("chdb", [6, 7]);
    await ensureSchema(store, logger);
    expect(calls).toEqual(["migrate"]);
  });

  it("never migrates a shared server: it refuses to start while migrations are pending, saying what to run", async () => {
    const { store, calls } = storeOf("server", [6, 7]);
    const refusal = ensureSchema(store, logger);
    await expect(refusal).rejects.toBeInstanceOf(SchemaBehindError);
    await expect(refusal).rejects.toThrow(/lacks migrations 6, 7: run `trellis migrate`/);
    expect(calls).toEqual(["pending"]);
  });

  it("starts on a current server schema", async () => {
    const { store, calls } = storeOf("server", []);
    await ensureSchema(store, logger);
    expect(calls).toEqual(["pending"]);
  });
});
