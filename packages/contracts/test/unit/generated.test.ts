import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const committed = join(root, "packages/contracts/src/gen");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

it("generated code matches the .proto files (run `npm run generate` after editing them)", () => {
  const work = mkdtempSync(join(tmpdir(), "trellis-gen-"));
  try {
    cpSync(join(root, "proto"), join(work, "proto"), { recursive: true });
    cpSync(join(root, "buf.yaml"), join(work, "buf.yaml"));
    const template = readFileSync(join(root, "buf.gen.yaml"), "utf8").replace(
      "packages/contracts/src/gen",
      join(work, "gen"),
    );
    writeFileSync(join(work, "buf.gen.yaml"), template);
    execFileSync(join(root, "node_modules/.bin/buf"), ["generate"], {
      cwd: work,
      env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` },
    });
    const fresh = files(join(work, "gen"))
      .map((f) => relative(join(work, "gen"), f))
      .sort();
    expect(
      files(committed)
        .map((f) => relative(committed, f))
        .sort(),
    ).toEqual(fresh);
    for (const file of fresh) {
      expect(readFileSync(join(committed, file), "utf8"), file).toBe(readFileSync(join(work, "gen", file), "utf8"));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

it("the buf workspace lints clean", () => {
  execFileSync(join(root, "node_modules/.bin/buf"), ["lint"], { cwd: root });
});
