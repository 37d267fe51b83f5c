/** One node of ClickHouse's `EXPLAIN AST` tree: its kind, the rest of its line, its children. */
export interface AstNode {
  kind: string;
  detail: string;
  children: AstNode[];
}

/**
 * Parses the indented text tree `EXPLAIN AST` prints (one space of indent per level), e.g.
 * "  Function count (children 1)" → {kind: "Function", detail: "count"}.
 */
export function parseExplainAst(text: string): AstNode {
  const root: AstNode = { kind: "Root", detail: "", children: [] };
  const stack: Array<{ depth: number; node: AstNode }> = [{ depth: -1, node: root }];
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    const depth = raw.length - raw.trimStart().length;
    const line = raw.trim().replace(/ \(children \d+\)$/, "");
    const space = line.indexOf(" ");
    const node: AstNode = {
      kind: space === -1 ? line : line.slice(0, space),
      detail: space === -1 ? "" : line.slice(space + 1),
      children: [],
    };
    while ((stack.at(-1)?.depth ?? -1) >= depth) stack.pop();
    stack.at(-1)?.node.children.push(node);
    stack.push({ depth, node });
  }
  return root;
}

export function* walk(node: AstNode, parent?: AstNode): Generator<{ node: AstNode; parent?: AstNode }> {
  yield { node, parent };
  for (const child of node.children) yield* walk(child, node);
}
