import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Large JSONEachRow inserts into the embedded engine go through a file: data inlined after
 * `INSERT … FORMAT` is parsed on one thread in small blocks, while `INSERT … FROM INFILE` is
 * parsed in parallel into full blocks, which also runs the rollup views once per block
 * instead of once per small block (1.2–1.6× the rows per second with the rollups in place:
 * bench/ingest, (b′) against (b)). The file lives only for the statement; it holds nothing that
 * was acknowledged, so files left by a crash are removed when the store opens.
 */
export interface InsertSpool {
  insert(insertInto: string, lines: readonly string[], run: (sql: string) => Promise<unknown>): Promise<void>;
}

const SUFFIX = ".jsonl";

/**
 * Creates `directory` if needed and deletes the `.jsonl` files a previous process left there.
 * Each `insert` writes its lines to a new file, runs `<insertInto> FROM INFILE '<file>' FORMAT
 * JSONEachRow` through `run`, and removes the file whether or not the statement succeeded.
 */
export function openInsertSpool(directory: string): InsertSpool {
  mkdirSync(directory, { recursive: true });
  for (const name of readdirSync(directory)) {
    if (name.endsWith(SUFFIX)) rmSync(join(directory, name), { force: true });
  }
  return {
    async insert(insertInto, lines, run) {
      const path = join(directory, `${randomUUID()}${SUFFIX}`);
      await writeFile(path, lines.join("\n"));
      try {
        await run(`${insertInto} FROM INFILE ${stringLiteral(path)} FORMAT JSONEachRow`);
      } finally {
        await rm(path, { force: true });
      }
    },
  };
}

function stringLiteral(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
