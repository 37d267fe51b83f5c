// The engine behind the BigQuery double's queries, for tests only: the embedded ClickHouse of
// the test's store. Each of the double's tables the query names is loaded (replaced) as a
// Memory table `bigquery_double_<table>` of the store's database, with column types mapped from
// the BigQuery schema; the translated query runs with its parameters bound, and with
// prefer_column_name_to_alias, so that a name in WHERE or GROUP BY means the table's column even
// when a SELECT alias has the same name, as in GoogleSQL.
import type { Store } from "@trellis/store";
import type { DoubleEngine } from "./bigquery-double.js";

const columnType: Record<string, string> = {
  STRING: "String",
  DATE: "Date",
  INT64: "Int64",
  INTEGER: "Int64",
  FLOAT64: "Float64",
  FLOAT: "Float64",
  NUMERIC: "Decimal(38, 9)",
  BOOL: "Bool",
  // Not read by the product's queries; kept as text.
  TIMESTAMP: "String",
};

export function storeEngine(store: Store): DoubleEngine {
  const tableName = (table: string) => `${store.database}.bigquery_double_${table}`;
  return {
    tableName,
    async load(table, fields, rows) {
      const columns = fields.map((f) => {
        const type = columnType[f.type];
        if (!type) throw new Error(`the double's engine has no column type for ${f.type}`);
        return `\`${f.name}\` ${f.mode === "REQUIRED" ? type : `Nullable(${type})`}`;
      });
      await store.command({
        name: "bigquery double: load",
        sql: `CREATE OR REPLACE TABLE ${tableName(table)} (${columns.join(", ")}) ENGINE = Memory`,
        organizationId: null,
      });
      await store.insertJsonLines(
        `bigquery_double_${table}`,
        rows.map((r) => JSON.stringify(r)),
        { organizationId: null },
      );
    },
    async query(sql, params) {
      const result = await store.queryTable({
        name: "bigquery double: query",
        sql: `${sql}\nSETTINGS prefer_column_name_to_alias = 1`,
        params,
        organizationId: null,
      });
      return { columns: result.columns, rows: result.rows };
    },
  };
}
