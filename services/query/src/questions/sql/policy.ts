import { clip, echo, ValidationError } from "@trellis/platform";
import { type AstNode, walk } from "./ast.js";
import { isAllowedAggregate, isAllowedFunction } from "./functions.js";
import { hasControlCharacter, isKeyword, nameOf, significant, type Token, tokenize } from "./tokens.js";

/** The tables tenant SQL may read, always unqualified; each is scoped to the caller's rows. */
export const tenantTables = ["analytics_events", "events_daily", "events_hourly", "events_daily_totals"] as const;
const tenantTableSet = new Set<string>(tenantTables);
/**
 * The tenant tables whose engine merges rows (the rollups): FINAL means something there. The
 * raw events table is a plain MergeTree, where FINAL changes nothing and the engine refuses
 * it, so it is accepted there and dropped.
 */
const mergingTables = new Set<string>(["events_daily", "events_hourly", "events_daily_totals"]);

/** Longest identifier tenant SQL may use (names, aliases, parameters). */
export const MAX_IDENTIFIER_LENGTH = 128;

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

const inFamily = new Set(["in", "notin", "globalin", "globalnotin", "nullin", "notnullin"]);
/** Functions whose first argument names an aggregate function in a string. */
const aggregateByName = new Set(["arrayreduce", "arrayreduceinranges", "initializeaggregation"]);
/** Functions whose arguments include a type name in a string. */
const typeByName = new Set([
  "cast",
  "_cast",
  "accuratecast",
  "accuratecastornull",
  "accuratecastordefault",
  "jsonextract",
  "jsonextractkeysandvalues",
  "defaultvalueoftypename",
]);
const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function reject(reason: string): never {
  throw ValidationError.field("sql", reason);
}

/** A caller's name in a message: quoted, and never more than 64 characters of it. */
const shown = echo;

/**
 * Checks the statement's text before it reaches the engine: every quote closed, no
 * control characters in quoted identifiers (the engine prints identifiers raw in
 * `EXPLAIN AST`, where a line break would forge a node), no identifier longer than
 * MAX_IDENTIFIER_LENGTH, one statement.
 */
export function checkText(sql: string): Token[] {
  const tokens = tokenize(sql);
  for (const token of tokens) {
    if (token.kind === "unterminated") reject("has an unterminated quote or comment");
    if (token.kind === "quoted-identifier" && hasControlCharacter(token.name ?? "")) {
      reject("quoted identifiers may not contain control characters or line breaks");
    }
    if (
      (token.kind === "quoted-identifier" || token.kind === "word") &&
      (token.name?.length ?? 0) > MAX_IDENTIFIER_LENGTH
    ) {
      reject(`identifiers are at most ${MAX_IDENTIFIER_LENGTH} characters (${shown(token.name ?? "")})`);
    }
  }
  const meaningful = significant(tokens);
  const semicolon = meaningful.findIndex((t) => t.kind === "punctuation" && t.text === ";");
  if (semicolon !== -1 && semicolon !== meaningful.length - 1) reject("must be exactly one statement");
  return tokens;
}

/** Index of the token closing the parenthesis opened at `open`. */
function closing(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== "punctuation") continue;
    if (t.text === "(" || t.text === "[") depth++;
    else if (t.text === ")" || t.text === "]") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return tokens.length;
}

const notAWithClause = new Set(["TOTALS", "ROLLUP", "CUBE", "FILL", "TIES"]);

/**
 * The names a statement defines as common table expressions, read from the tokens of its
 * normalized text (`WITH [RECURSIVE] name [(columns)] AS (…)`), and how many there are. The
 * expression form `WITH expr AS alias` defines no table.
 */
export function commonTableExpressions(normalized: string): { names: Set<string>; count: number } {
  const tokens = significant(tokenize(normalized));
  const names = new Set<string>();
  let count = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (!isKeyword(tokens[i], "WITH")) continue;
    if (notAWithClause.has(tokens[i + 1]?.text.toUpperCase() ?? "")) continue;
    let j = i + 1;
    if (isKeyword(tokens[j], "RECURSIVE")) j++;
    while (j < tokens.length) {
      const name = nameOf(tokens[j]);
      let afterName = j + 1;
      if (name !== undefined && tokens[afterName]?.text === "(" && tokens[afterName]?.kind === "punctuation") {
        const end = closing(tokens, afterName);
        // name(columns) AS (…) is a table; f(x) AS alias is an expression.
        if (isKeyword(tokens[end + 1], "AS") && tokens[end + 2]?.text === "(") afterName = end + 1;
      }
      if (name !== undefined && isKeyword(tokens[afterName], "AS") && tokens[afterName + 1]?.text === "(") {
        names.add(name);
        count++;
        j = closing(tokens, afterName + 1) + 1;
      } else {
        // An expression: up to the next comma or the SELECT that ends the clause, at this depth.
        while (j < tokens.length && tokens[j]?.text !== "," && !isKeyword(tokens[j], "SELECT")) {
          j = tokens[j]?.text === "(" || tokens[j]?.text === "[" ? closing(tokens, j) + 1 : j + 1;
        }
      }
      if (tokens[j]?.text !== ",") break;
      j++;
    }
  }
  return { names, count };
}

/**
 * Removes `FINAL` after a tenant table (`FROM events_daily [AS d] FINAL`) and answers which
 * tables asked for it: FINAL applies to the table itself, which the sandbox reads through a
 * scoping subquery, so the scoping subquery carries it instead.
 */
export function liftFinal(normalized: string): { sql: string; finalTables: Set<string> } {
  const tokens = tokenize(normalized);
  const finalTables = new Set<string>();
  const previous = (from: number): number => {
    let i = from - 1;
    while (i >= 0 && (tokens[i]?.kind === "space" || tokens[i]?.kind === "comment")) i--;
    return i;
  };
  const dropped = new Set<number>();
  tokens.forEach((token, i) => {
    if (!isKeyword(token, "FINAL")) return;
    let tableAt = previous(i);
    const beforeName = previous(tableAt);
    if (isKeyword(tokens[beforeName], "AS")) tableAt = previous(beforeName);
    const table = nameOf(tokens[tableAt]);
    if (table !== undefined && tenantTableSet.has(table)) {
      if (mergingTables.has(table)) finalTables.add(table);
      dropped.add(i);
    }
  });
  return { sql: tokens.map((t, i) => (dropped.has(i) ? "" : t.text)).join(""), finalTables };
}

/** The string inside a `Literal '…'` node, or undefined for any other literal. */
function stringLiteral(node: AstNode | undefined): string | undefined {
  if (node?.kind !== "Literal") return undefined;
  const [token] = tokenize(node.detail.replace(/ \(alias .*\)$/, ""));
  return token?.kind === "string" ? token.name : undefined;
}

/** A TableIdentifier's table name (the alias that follows it, if any, removed). */
function tableName(detail: string): string {
  const alias = detail.indexOf(" (alias ");
  return alias === -1 ? detail : detail.slice(0, alias);
}

/**
 * Checks the parsed statement against the sandbox's allowlist: exactly one SELECT, only the
 * tenant tables (unqualified) and the statement's own CTEs, no table functions, no
 * SETTINGS, FORMAT or INTO OUTFILE anywhere, only allowlisted functions (those named inside
 * strings too), no IN <table>. `ctes` are the statement's CTEs as read from its tokens; the
 * tree must define exactly as many.
 */
export function checkStatement(ast: AstNode, ctes: { names: Set<string>; count: number }): void {
  const statement = ast.children[0];
  if (!statement || ast.children.length !== 1) reject("must be exactly one statement");
  if (statement.kind !== "SelectWithUnionQuery" && statement.kind !== "SelectIntersectExceptQuery") {
    reject("only SELECT statements are allowed");
  }
  if (statement.children.length > 1) reject("FORMAT and INTO OUTFILE are not allowed; results come back as JSON");
  for (const name of ctes.names) {
    if (tenantTableSet.has(name)) reject(`a CTE may not be named ${shown(name)}, the name of a tenant table`);
  }
  let withElements = 0;
  for (const { node, parent } of walk(statement)) {
    if (node.kind === "Set") reject("SETTINGS are not allowed anywhere in the statement");
    if (!allowedKinds.has(node.kind)) reject(`${node.kind} is not allowed in tenant SQL`);
    if (node.kind === "WithElement") withElements++;
    if (node.kind === "TableIdentifier") {
      const name = tableName(node.detail);
      if (name.includes("."))
        reject(`qualified table names are not allowed (${shown(name)}); use ${tenantTables.join(", ")}`);
      if (!SIMPLE_NAME.test(name) || (!tenantTableSet.has(name) && !ctes.names.has(name)))
        reject(`unknown table ${shown(name)}; tenant SQL reads ${tenantTables.join(", ")}`);
    }
    if (node.kind === "Function") {
      const name = node.detail.split(" ")[0] ?? "";
      const lower = name.toLowerCase();
      if (parent?.kind === "TableExpression") reject(`table function ${clip(name)}() is not allowed`);
      if (!isAllowedFunction(name)) reject(`function ${clip(name)}() is not allowed in tenant SQL`);
      const args = node.children[0]?.children ?? [];
      if (inFamily.has(lower)) {
        const right = args[1];
        if (right && (right.kind === "Identifier" || right.kind === "TableIdentifier")) {
          reject(`IN <table> is not allowed (${shown(right.detail)}); use IN (SELECT …)`);
        }
      }
      if (aggregateByName.has(lower)) {
        const aggregate = stringLiteral(args[0]);
        if (aggregate === undefined) reject(`${name}() takes the aggregate's name as a string literal`);
        if (!isAllowedAggregate(aggregate))
          reject(`aggregate function ${shown(aggregate)} is not allowed in tenant SQL`);
      }
      if (typeByName.has(lower)) {
        for (const arg of args) {
          const type = stringLiteral(arg);
          if (type !== undefined && /AggregateFunction/i.test(type)) {
            reject(`the type ${shown(type)} names an aggregate function; it is not allowed in tenant SQL`);
          }
        }
      }
    }
  }
  if (withElements !== ctes.count) reject("the statement's WITH clause could not be read; name each CTE plainly");
}
