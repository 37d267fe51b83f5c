import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A unique database name with a `test` segment; nothing else is ever used by tests. */
export function testDatabase(label: string): string {
  const name = `test_${label}_${randomBytes(4).toString("hex")}`;
  assertTestDatabase(name);
  return name;
}

export function assertTestDatabase(name: string): void {
  if (!name.split("_").includes("test"))
    throw new Error(`refusing to use database "${name}": it has no "test" segment`);
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `trellis-${label}-`));
}
