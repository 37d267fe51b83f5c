import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Large inserts into the embedded engine go through a file: data inlined after
 * `INSERT … FORMAT` is parsed on one thread in small blocks, while `INSERT … FROM INFILE` is
 * read into full blocks, which also runs the rollup views once per block instead of once per
 * small block (bench/ingest, (b′) against (b)). The file lives only for the statement; it holds
 * nothing that was acknowledged, so files left by a crash are removed when the store opens.
 *
 * An insert may name the organization-days its rows fall on: they are written to a journal
 * file, kept until the statement has finished. The engine runs inside this process, and a
 * process killed during the statement can leave the events table written and its views
 * (the rollups) not; a journal left behind names the days whose rollups must be made again
 * from the events ({@link InsertSpool.interrupted}).
 */
export interface InsertSpool {
  /** The body as JSONEachRow lines (one a row, no newline inside) or as Native blocks, one after another. */
  insert(
    insertInto: string,
    body: SpoolBody,
    run: (sql: string) => Promise<unknown>,
    touches?: readonly OrganizationDay[],
  ): Promise<void>;
  /** The journals of inserts a previous process did not finish, found when the spool opened. */
  interrupted(): Array<{ touches: OrganizationDay[]; settle(): void }>;
}

export type SpoolBody =
  | { format: "JSONEachRow"; lines: readonly string[] }
  | { format: "Native"; blocks: readonly Uint8Array[] };

/** An organization and a UTC date (`YYYY-MM-DD`) its rows fall on. */
export type OrganizationDay = readonly [organizationId: string, date: string];

/**
 * The rollup views of an insert run on several threads: on two cores, 1.7× the rows per second
 * of one view after another for the same CPU (bench/ingest, (b″) with and without).
 */
export const PARALLEL_VIEWS = { parallel_view_processing: 1 } as const;
const INSERT_SETTINGS = Object.entries(PARALLEL_VIEWS)
  .map(([name, value]) => `${name} = ${value}`)
  .join(", ");

const SUFFIXES = { JSONEachRow: ".jsonl", Native: ".native" } as const;
const JOURNAL = ".touches.json";

/**
 * Creates `directory` if needed, deletes the data files a previous process left there and keeps
 * its journals for {@link InsertSpool.interrupted}. Each `insert` writes its journal (when it
 * names days; synced to disk) and its body to new files, runs `<insertInto> FROM INFILE '<file>'
 * FORMAT <format>` through `run`, and removes the body whether or not the statement succeeded,
 * and the journal once it has finished, failed or not (a statement that failed wrote nothing).
 */
export function openInsertSpool(directory: string): InsertSpool {
  mkdirSync(directory, { recursive: true });
  const journals: string[] = [];
  for (const name of readdirSync(directory)) {
    if (name.endsWith(JOURNAL)) journals.push(join(directory, name));
    else if (Object.values(SUFFIXES).some((suffix) => name.endsWith(suffix)))
      rmSync(join(directory, name), { force: true });
  }
  return {
    async insert(insertInto, body, run, touches) {
      const id = randomUUID();
      const path = join(directory, `${id}${SUFFIXES[body.format]}`);
      const journal = touches && touches.length > 0 ? join(directory, `${id}${JOURNAL}`) : undefined;
      if (journal) {
        const file = await open(journal, "w");
        try {
          await file.writeFile(JSON.stringify(touches));
          await file.datasync();
        } finally {
          await file.close();
        }
      }
      await writeFile(path, body.format === "Native" ? body.blocks : body.lines.join("\n"));
      try {
        await run(`${insertInto} FROM INFILE ${stringLiteral(path)} SETTINGS ${INSERT_SETTINGS} FORMAT ${body.format}`);
      } finally {
        await rm(path, { force: true });
        if (journal) await rm(journal, { force: true });
      }
    },
    interrupted() {
      return journals.map((path) => {
        let touches: OrganizationDay[] = [];
        try {
          touches = JSON.parse(readFileSync(path, "utf8")) as OrganizationDay[];
        } catch {
          // Cut off while its journal was written: its body was not written yet, nor inserted.
        }
        return { touches, settle: () => rmSync(path, { force: true }) };
      });
    },
  };
}

function stringLiteral(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
