import { ValidationError } from "@trellis/platform";
import { type AstNode, walk } from "./ast.js";
import { isAllowedFunction } from "./functions.js";

/** The tables tenant SQL may read, always unqualified; each is scoped to the caller's rows. */
export const tenantTables = ["analytics_events", "events_daily", "events_hourly", "events_daily_totals"] as const;
const tenantTableSet = new Set<string>(tenantTables);

/** AST node kinds a read-only SELECT is made of; anything else is refused. */
const allowedKinds = new Set([
  "Root",
  "SelectWithUnionQuery",
  "SelectIntersectExceptQuery",
  "SelectQuery",
  "ExpressionList",
  "WithElement",
  "Subquery",
  "TablesInSelectQuery",
  "TablesInSelectQueryElement",
  "TableExpression",
  "TableIdentifier",
  "TableJoin",
  "ArrayJoin",
  "Function",
  "Identifier",
  "Literal",
  "Asterisk",
  "QualifiedAsterisk",
  "OrderByElement",
  "QueryParameter",
  "WindowDefinition",
  "WindowListElement",
  "LimitByElement",
]);

const inFamily = new Set(["in", "notIn", "globalIn", "globalNotIn", "nullIn", "notNullIn"]);

function reject(reason: string): never {
  throw ValidationError.field("sql", reason);
}

/** Names the statement defines with WITH name AS (…), read from ClickHouse's normalized text. */
export function cteNames(normalized: string): Set<string> {
  const names = new Set<string>();
  for (const match of normalized.matchAll(/(?:\bWITH\s+|,\s*)`?([A-Za-z_][A-Za-z0-9_]*)`?\s+AS\s+\(/g)) {
    if (match[1]) names.add(match[1]);
  }
  return names;
}

/**
 * Checks the parsed statement against the sandbox's allowlist: exactly one SELECT, only the
 * tenant tables (unqualified) and the statement's own CTEs, no table functions, no
 * SETTINGS, FORMAT or INTO OUTFILE anywhere, only allowlisted functions, no IN <table>.
 * `clientFormat` is the FORMAT the driver itself appended to EXPLAIN.
 */
export function checkStatement(ast: AstNode, normalized: string, clientFormat: string): void {
  const statement = ast.children[0];
  if (!statement || ast.children.length !== 1) reject("must be exactly one statement");
  if (statement.kind !== "SelectWithUnionQuery" && statement.kind !== "SelectIntersectExceptQuery") {
    reject("only SELECT statements are allowed");
  }
  const extras = statement.children.slice(1);
  if (extras.some((c) => !(c.kind === "Identifier" && c.detail === clientFormat))) {
    reject("FORMAT and INTO OUTFILE are not allowed; results come back as JSON");
  }
  const ctes = cteNames(normalized);
  for (const name of ctes) {
    if (tenantTableSet.has(name)) reject(`a CTE may not be named "${name}", the name of a tenant table`);
  }
  for (const { node, parent } of walk(statement)) {
    if (node === extras.find((e) => e === node)) continue;
    if (node.kind === "Set") reject("SETTINGS are not allowed anywhere in the statement");
    if (!allowedKinds.has(node.kind)) reject(`${node.kind} is not allowed in tenant SQL`);
    if (node.kind === "TableIdentifier") {
      const name = node.detail.replace(/ \(alias .*\)$/, "");
      if (name.includes("."))
        reject(`qualified table names are not allowed ("${name}"); use ${tenantTables.join(", ")}`);
      if (!tenantTableSet.has(name) && !ctes.has(name))
        reject(`unknown table "${name}"; tenant SQL reads ${tenantTables.join(", ")}`);
    }
    if (node.kind === "Function") {
      const name = node.detail.split(" ")[0] ?? "";
      if (parent?.kind === "TableExpression") reject(`table function ${name}() is not allowed`);
      if (!isAllowedFunction(name)) reject(`function ${name}() is not allowed in tenant SQL`);
      if (inFamily.has(name)) {
        const right = node.children[0]?.children[1];
        if (right && (right.kind === "Identifier" || right.kind === "TableIdentifier")) {
          reject(`IN <table> is not allowed ("${right.detail}"); use IN (SELECT …)`);
        }
      }
    }
  }
}
