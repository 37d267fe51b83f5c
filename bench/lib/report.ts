import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const benchRoot = fileURLToPath(new URL("..", import.meta.url));

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Prints rows as an aligned table and writes them, with context, to bench/results/<name>.json. */
export function report(
  name: string,
  rows: Array<Record<string, string | number>>,
  context: Record<string, unknown>,
): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number | undefined) =>
    typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : (v ?? "");
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join("  ");
  process.stdout.write(`\n${line(columns)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => cell(row[c])))}\n`);
  const dir = join(benchRoot, "results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify({ name, at: new Date().toISOString(), context, rows }, null, 2)}\n`);
  process.stdout.write(`\nwritten to ${path}\n`);
  return path;
}
