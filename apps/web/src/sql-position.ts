// Where the sandbox says a statement went wrong, for the SQL console to point at (pure, no DOM).

/**
 * Where in the statement the engine's parser stopped, as an offset, when its message says so
 * ("… at position 8 …" or "(line 2, col 5)"); undefined otherwise.
 */
export function errorOffset(sql: string, reason: string): number | undefined {
  const position = /\bposition (\d+)/i.exec(reason);
  if (position) return Math.min(sql.length, Math.max(0, Number(position[1]) - 1));
  const lineColumn = /\bline (\d+), col(?:umn)? (\d+)/i.exec(reason);
  if (!lineColumn) return undefined;
  const lines = sql.split("\n");
  const line = Math.min(lines.length, Number(lineColumn[1]));
  const before = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
  return Math.min(sql.length, before + Math.max(0, Number(lineColumn[2]) - 1));
}

/** An offset of the statement as people count: "line 2, column 5". */
export function lineAndColumn(sql: string, offset: number): string {
  const lines = sql.slice(0, offset).split("\n");
  return `line ${lines.length}, column ${(lines.at(-1)?.length ?? 0) + 1}`;
}
