// Writes README.md's configuration reference, between its config-table markers, from the
// config schemas (each key's group, default, unit and description, and the processes that
// read it). `npm run docs:config`; apps/trellis/test/unit/config-docs.test.ts fails while
// README.md differs from what this writes.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readmeWithConfigReference } from "../apps/trellis/src/config-docs.ts";

const readmePath = join(fileURLToPath(new URL("..", import.meta.url)), "README.md");
const before = readFileSync(readmePath, "utf8");
const after = readmeWithConfigReference(before);
if (after === before) {
  process.stdout.write("README.md: configuration reference already up to date\n");
} else {
  writeFileSync(readmePath, after);
  process.stdout.write("README.md: configuration reference regenerated\n");
}
