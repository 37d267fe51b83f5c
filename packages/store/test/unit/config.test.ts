import { describe, expect, it } from "vitest";
import { loadStoreConfig } from "../../src/index.js";

describe("the store's database name", () => {
  it("takes any plain name, default included (tenant SQL runs in an empty sandbox database)", () => {
    expect(loadStoreConfig({ TRELLIS_CLICKHOUSE_DATABASE: "default" }).database).toBe("default");
    expect(loadStoreConfig({}).database).toBe("trellis");
  });

  it("refuses the engine's own databases and the sandbox's names", () => {
    for (const name of ["system", "information_schema", "trellis_sandbox"]) {
      expect(() => loadStoreConfig({ TRELLIS_CLICKHOUSE_DATABASE: name })).toThrow(/TRELLIS_CLICKHOUSE_DATABASE/);
    }
  });
});
