import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseExplainAst } from "./ast.js";
import { isAllowedAggregate, isAllowedFunction } from "./functions.js";
import { checkStatement, checkText, commonTableExpressions, liftFinal } from "./policy.js";
import { significant, tokenize } from "./tokens.js";

describe("tokenize", () => {
  it("keeps quoted text whole, whatever it holds", () => {
    const tokens = significant(tokenize('SELECT \', organizations AS (\' AS s, `a``b` AS "c""d" FROM t -- x\n'));
    expect(tokens.map((t) => [t.kind, t.name ?? t.text])).toEqual([
      ["word", "SELECT"],
      ["string", ", organizations AS ("],
      ["word", "AS"],
      ["word", "s"],
      ["punctuation", ","],
      ["quoted-identifier", "a`b"],
      ["word", "AS"],
      ["quoted-identifier", 'c"d'],
      ["word", "FROM"],
      ["word", "t"],
    ]);
  });

  it("resolves backslash escapes inside quotes", () => {
    const [token] = tokenize("'it\\'s\\n'");
    expect(token).toMatchObject({ kind: "string", name: "it's\n" });
  });

  it("marks what it cannot close", () => {
    expect(tokenize("SELECT 'abc").at(-1)?.kind).toBe("unterminated");
    expect(tokenize("SELECT /* a /* b */").at(-1)?.kind).toBe("unterminated");
  });

  it("loses nothing: the tokens put together are the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        expect(
          tokenize(text)
            .map((t) => t.text)
            .join(""),
        ).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});

describe("checkText", () => {
  it("refuses control characters and line breaks in quoted identifiers", () => {
    for (const name of ["x\n      Literal 1", "a\rb", "a\u2028b", "a\u0085b", "a\u007fb"]) {
      expect(() => checkText(`SELECT 1 AS \`${name}\``)).toThrow(/control characters/);
    }
    expect(() => checkText("SELECT 'line\nbreak in a string is fine' AS s")).not.toThrow();
  });

  it("refuses long identifiers, unterminated quotes and several statements", () => {
    expect(() => checkText(`SELECT ${"a".repeat(129)}`)).toThrow(/at most 128 characters/);
    expect(() => checkText("SELECT 'x")).toThrow(/unterminated/);
    expect(() => checkText("SELECT 1; SELECT 2")).toThrow(/exactly one statement/);
    expect(() => checkText("SELECT ';' AS s;")).not.toThrow();
  });
});

describe("commonTableExpressions", () => {
  it("reads CTE names from the tokens, in both forms, and not from strings", () => {
    expect(commonTableExpressions("WITH a AS (SELECT 1), b (x) AS (SELECT 2), 3 AS k SELECT * FROM a")).toEqual({
      names: new Set(["a", "b"]),
      count: 2,
    });
    expect(commonTableExpressions("SELECT ', organizations AS (' AS s FROM organizations")).toEqual({
      names: new Set(),
      count: 0,
    });
    expect(
      commonTableExpressions("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT * FROM r"),
    ).toEqual({ names: new Set(["r"]), count: 1 });
    expect(commonTableExpressions("SELECT a FROM t GROUP BY a WITH TOTALS")).toEqual({ names: new Set(), count: 0 });
    expect(commonTableExpressions("WITH f(1) AS x SELECT x")).toEqual({ names: new Set(), count: 0 });
  });
});

describe("liftFinal", () => {
  it("moves FINAL of a rollup into its scope and drops it on the raw table", () => {
    const lifted = liftFinal("SELECT * FROM events_daily AS d FINAL, analytics_events FINAL, mine FINAL");
    expect(lifted.finalTables).toEqual(new Set(["events_daily"]));
    expect(lifted.sql).toBe("SELECT * FROM events_daily AS d , analytics_events , mine FINAL");
  });

  it("leaves a FINAL inside quotes alone", () => {
    expect(liftFinal("SELECT 'events_daily FINAL' FROM events_daily").sql).toBe(
      "SELECT 'events_daily FINAL' FROM events_daily",
    );
  });
});

describe("checkStatement", () => {
  const tree = (text: string) => parseExplainAst(text);
  const select = (body: string) => `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
${body}`;

  it("refuses an aggregate named in a string outside the allowlist, and takes one inside it", () => {
    const call = (name: string) =>
      tree(
        select(`   ExpressionList (children 1)
    Function arrayReduce (children 1)
     ExpressionList (children 2)
      Literal '${name}'
      Literal Array_[UInt64_1]`),
      );
    expect(() => checkStatement(call("groupConcat"), { names: new Set(), count: 0 })).toThrow(/groupConcat/);
    expect(() => checkStatement(call("sumIf"), { names: new Set(), count: 0 })).not.toThrow();
  });

  it("refuses a tree whose CTEs the tokens did not account for", () => {
    const ast = tree(
      select(`   ExpressionList (children 1)
    WithElement (children 1)
     Subquery (children 0)`),
    );
    expect(() => checkStatement(ast, { names: new Set(), count: 0 })).toThrow(/WITH clause/);
  });

  it("refuses FORMAT and a table function", () => {
    const formatted = tree(`SelectWithUnionQuery (children 2)
 ExpressionList (children 0)
 Identifier CSV`);
    expect(() => checkStatement(formatted, { names: new Set(), count: 0 })).toThrow(/FORMAT/);
  });
});

describe("the function allowlist", () => {
  it("takes allowed names in any case and combinators of allowed aggregates", () => {
    expect(isAllowedFunction("COUNT")).toBe(true);
    expect(isAllowedFunction("Sum")).toBe(true);
    expect(isAllowedFunction("uniqExactIfMerge")).toBe(true);
    expect(isAllowedAggregate("SUMIF")).toBe(true);
  });

  it("refuses everything else", () => {
    for (const name of [
      "file",
      "currentDatabase",
      "CURRENTDATABASE",
      "groupConcat",
      "groupConcatIf",
      "dictGet",
      "url",
    ]) {
      expect(isAllowedFunction(name)).toBe(false);
    }
  });
});
