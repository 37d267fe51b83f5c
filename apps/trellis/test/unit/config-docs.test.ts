import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configTableMarkers } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { configReference, readmeWithConfigReference } from "../../src/config-docs.js";

const readmePath = fileURLToPath(new URL("../../../../README.md", import.meta.url));

/** The generated part of a README: what stands between the markers. */
function generatedPart(readme: string): string {
  return readme.slice(readme.indexOf(configTableMarkers.begin), readme.indexOf(configTableMarkers.end));
}

describe("README.md's configuration reference", () => {
  it("is what `npm run docs:config` writes from the config schemas", () => {
    const readme = readFileSync(readmePath, "utf8");
    expect(readme).toContain(configTableMarkers.begin);
    // On failure: run `npm run docs:config` and commit README.md.
    expect(generatedPart(readme), "README.md's configuration tables are stale: run `npm run docs:config`").toBe(
      generatedPart(readmeWithConfigReference(readme)),
    );
  });

  it("documents the keys a standalone ingest needs, with their defaults", () => {
    const reference = configReference();
    expect(reference).toMatch(/\| `TRELLIS_IP_HASH_KEY` +\| required \(ingest\); unset \(all-in-one\) /);
    expect(reference).toMatch(/\| `TRELLIS_INGEST_TABLE` +\| `analytics_events` /);
    expect(reference).toMatch(/\| `TRELLIS_INGEST_BUFFER_ROWS` +\| `500000` +\| rows /);
  });

  it("lists each key once", () => {
    const names = [...configReference().matchAll(/^\| `([A-Z_]+)`/gm)].map((match) => match[1]);
    expect(names.length).toBeGreaterThan(50);
    expect(new Set(names).size).toBe(names.length);
  });
});
