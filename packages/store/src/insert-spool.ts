import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Large inserts into the embedded engine go through a file: data inlined after
 * `INSERT … FORMAT` is parsed on one thread in small blocks, while `INSERT … FROM INFILE` is
 * read into full blocks, which also runs the rollup views once per block instead of once per
 * small block (bench/ingest, (b′) against (b)). The file lives only for the statement; it holds
 * nothing that was acknowledged, so files left by a crash are removed when the store opens.
 */
export interface InsertSpool {
  /** The body as JSONEachRow lines (one a row, no newline inside) or as Native blocks, one after another. */
  insert(insertInto: string, body: SpoolBody, run: (sql: string) => Promise<unknown>): Promise<void>;
}

export type SpoolBody =
  | { format: "JSONEachRow"; lines: readonly string[] }
  | { format: "Native"; blocks: readonly Uint8Array[] };

const SUFFIXES = { JSONEachRow: ".jsonl", Native: ".native" } as const;

/**
 * Creates `directory` if needed and deletes the spool files a previous process left there.
 * Each `insert` writes its body to a new file, runs `<insertInto> FROM INFILE '<file>' FORMAT
 * <format>` through `run`, and removes the file whether or not the statement succeeded.
 */
export function openInsertSpool(directory: string): InsertSpool {
  mkdirSync(directory, { recursive: true });
  for (const name of readdirSync(directory)) {
    if (Object.values(SUFFIXES).some((suffix) => name.endsWith(suffix))) rmSync(join(directory, name), { force: true });
  }
  return {
    async insert(insertInto, body, run) {
      const path = join(directory, `${randomUUID()}${SUFFIXES[body.format]}`);
      await writeFile(path, body.format === "Native" ? body.blocks : body.lines.join("\n"));
      try {
        await run(`${insertInto} FROM INFILE ${stringLiteral(path)} FORMAT ${body.format}`);
      } finally {
        await rm(path, { force: true });
      }
    },
  };
}

function stringLiteral(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
