// A local HTTP double of the BigQuery REST API (v2), for tests only: BigQuery cannot run here.
// It answers the requests the official client makes for the export — datasets and tables
// (get, insert), query jobs (insert, getQueryResults polling, get, cancel) — records each one
// for the tests to check, verifies the self-signed JWT on every request against the test's
// key, and keeps the rows the export's statements write so that a later run sees them. It runs
// only the statement shapes the export sends (recognised by their text); anything else fails
// the job, as an unknown statement should fail a test. Failures can be injected: an HTTP error
// for the next matching requests, or a job that completes with an error.
//
// Other queries (SELECT or WITH …) run only when the test gives the double an engine
// (bigquery-double-engine.ts: the embedded ClickHouse): the tables a query names are loaded
// with the rows the double holds, and the GoogleSQL text is translated by the small, fixed
// set of rewrites in `translateGoogleSql` below. SQL outside that subset fails in the engine,
// and so fails the job.
import { createPublicKey, createVerify, generateKeyPairSync, type KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Row = Record<string, string | number | null>;

interface Parameter {
  name: string;
  parameterType: {
    type: string;
    arrayType?: { type: string; structTypes?: Array<{ name: string; type: { type: string } }> };
  };
  parameterValue: {
    value?: string;
    arrayValues?: Array<{ value?: string; structValues?: Record<string, { value?: string | null }> }>;
  };
}

/** An engine that runs the translated queries: loads a table's rows, answers a query's columns and rows. */
export interface DoubleEngine {
  load(table: string, fields: Array<{ name: string; type: string; mode?: string }>, rows: Row[]): Promise<void>;
  query(
    sql: string,
    params: Record<string, unknown>,
  ): Promise<{ columns: Array<{ name: string; type: string }>; rows: Record<string, unknown>[] }>;
  /** The engine's name of the double's table (what a backquoted `project.dataset.table` becomes). */
  tableName(table: string): string;
}

interface Job {
  id: string;
  query: string;
  params: Record<string, unknown>;
  /** Each parameter's GoogleSQL type (ARRAY<STRING> as "ARRAY<STRING>"). */
  paramTypes: Record<string, string>;
  polls: number;
  done: boolean;
  error?: string;
  rows?: Row[];
  schema?: Array<{ name: string; type: string }>;
  cancelled: boolean;
  /** A load job's configuration (its `configuration.load`). */
  load?: Record<string, unknown>;
}

export interface BigQueryDouble {
  url: string;
  projectId: string;
  requests: RecordedRequest[];
  datasets: Map<string, Record<string, unknown>>;
  tables: Map<string, { resource: Record<string, unknown>; rows: Row[] }>;
  views: Map<string, string>;
  jobs: Map<string, Job>;
  /** The next `times` requests matching method and path answer `status` with an error body. */
  failRequests(method: string, path: RegExp, status: number, times: number): void;
  /** Query jobs whose statement matches complete with this error (until cleared). */
  failJobs(statement: RegExp, message: string): void;
  clearFailures(): void;
  /** Runs `action` once, just before the next job whose statement matches runs (another writer, say). */
  beforeNextJob(statement: RegExp, action: () => void): void;
  close(): Promise<void>;
}

/** Starts the double on a free loopback port; requests must carry a JWT signed by `publicKeyPem`'s key. */
export async function startBigQueryDouble(options: {
  projectId: string;
  publicKeyPem: string;
  /** Runs the queries that are not the export's own statements; without it they fail. */
  engine?: DoubleEngine;
}): Promise<BigQueryDouble> {
  const publicKey = createPublicKey(options.publicKeyPem);
  const requestFailures: Array<{ method: string; path: RegExp; status: number; times: number }> = [];
  let jobFailures: Array<{ statement: RegExp; message: string }> = [];
  const beforeJobs: Array<{ statement: RegExp; action: () => void }> = [];
  const double: Omit<BigQueryDouble, "url" | "close"> = {
    projectId: options.projectId,
    requests: [],
    datasets: new Map(),
    tables: new Map(),
    views: new Map(),
    jobs: new Map(),
    failRequests(method, path, status, times) {
      requestFailures.push({ method, path, status, times });
    },
    failJobs(statement, message) {
      jobFailures.push({ statement, message });
    },
    clearFailures() {
      requestFailures.length = 0;
      jobFailures = [];
    },
    beforeNextJob(statement, action) {
      beforeJobs.push({ statement, action });
    },
  };

  const prefix = `/bigquery/v2/projects/${options.projectId}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://double");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const multipart = (req.headers["content-type"] ?? "").startsWith("multipart/");
    const body = text && !multipart ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const method = req.method ?? "GET";
    double.requests.push({ method, path: url.pathname, query: url.searchParams, body });

    const authError = checkBearer(req.headers.authorization, publicKey);
    if (authError) return send(res, 401, errorBody(401, authError, "unauthorized"));
    const failure = requestFailures.find((f) => f.method === method && f.path.test(url.pathname) && f.times > 0);
    if (failure) {
      failure.times--;
      return send(res, failure.status, errorBody(failure.status, "injected by the test", "backendError"));
    }
    if (method === "POST" && url.pathname === `/upload${prefix}/jobs`) return upload(req, res, url, text);
    if (!url.pathname.startsWith(prefix))
      return send(res, 404, errorBody(404, `not found: ${url.pathname}`, "notFound"));
    const path = url.pathname.slice(prefix.length);
    const at = (verb: string, pattern: RegExp) => (verb === method ? pattern.exec(path) : null);

    const datasetGet = at("GET", /^\/datasets\/([^/]+)$/);
    if (datasetGet) {
      const dataset = double.datasets.get(datasetGet[1] ?? "");
      return dataset
        ? send(res, 200, dataset)
        : send(res, 404, errorBody(404, `Not found: Dataset ${datasetGet[1]}`, "notFound"));
    }
    if (method === "POST" && path === "/datasets") {
      const reference = (body as { datasetReference: { datasetId: string } }).datasetReference;
      if (double.datasets.has(reference.datasetId))
        return send(res, 409, errorBody(409, "Already Exists", "duplicate"));
      const resource = { ...body, id: `${options.projectId}:${reference.datasetId}` };
      double.datasets.set(reference.datasetId, resource);
      return send(res, 200, resource);
    }
    const tableGet = at("GET", /^\/datasets\/([^/]+)\/tables\/([^/]+)$/);
    if (tableGet) {
      const table = double.tables.get(`${tableGet[1]}.${tableGet[2]}`);
      return table
        ? send(res, 200, table.resource)
        : send(res, 404, errorBody(404, `Not found: Table ${tableGet[2]}`, "notFound"));
    }
    const tableDelete = at("DELETE", /^\/datasets\/([^/]+)\/tables\/([^/]+)$/);
    if (tableDelete) {
      const deleted = double.tables.delete(`${tableDelete[1]}.${tableDelete[2]}`);
      if (!deleted) return send(res, 404, errorBody(404, `Not found: Table ${tableDelete[2]}`, "notFound"));
      res.writeHead(204);
      res.end();
      return;
    }
    const tableInsert = at("POST", /^\/datasets\/([^/]+)\/tables$/);
    if (tableInsert) {
      const reference = (body as { tableReference: { tableId: string } }).tableReference;
      const key = `${tableInsert[1]}.${reference.tableId}`;
      if (!double.datasets.has(tableInsert[1] ?? ""))
        return send(res, 404, errorBody(404, `Not found: Dataset ${tableInsert[1]}`, "notFound"));
      if (double.tables.has(key)) return send(res, 409, errorBody(409, "Already Exists", "duplicate"));
      double.tables.set(key, { resource: body as Record<string, unknown>, rows: [] });
      return send(res, 200, body);
    }
    if (method === "POST" && path === "/jobs") {
      const job = body as {
        jobReference: { jobId: string };
        configuration: { query: { query: string; queryParameters?: Parameter[] } };
      };
      const id = job.jobReference.jobId;
      if (double.jobs.has(id)) return send(res, 409, errorBody(409, `Already Exists: Job ${id}`, "duplicate"));
      double.jobs.set(id, {
        id,
        query: job.configuration.query.query,
        params: decodeParameters(job.configuration.query.queryParameters ?? []),
        paramTypes: Object.fromEntries(
          (job.configuration.query.queryParameters ?? []).map((p) => [
            p.name,
            p.parameterType.type === "ARRAY" ? `ARRAY<${p.parameterType.arrayType?.type}>` : p.parameterType.type,
          ]),
        ),
        polls: 0,
        done: false,
        cancelled: false,
      });
      return send(res, 200, { ...job, id, status: { state: "RUNNING" } });
    }
    const queryResults = at("GET", /^\/queries\/([^/]+)$/);
    if (queryResults) {
      const job = double.jobs.get(queryResults[1] ?? "");
      if (!job) return send(res, 404, errorBody(404, `Not found: Job ${queryResults[1]}`, "notFound"));
      // Every job is still running at its first poll: the client must poll again.
      if (job.polls++ === 0)
        return send(res, 200, {
          kind: "bigquery#getQueryResultsResponse",
          jobComplete: false,
          jobReference: { jobId: job.id },
        });
      if (!job.done) await run(job);
      if (job.error) return send(res, 400, errorBody(400, job.error, "invalidQuery"));
      return send(res, 200, {
        kind: "bigquery#getQueryResultsResponse",
        jobComplete: true,
        jobReference: { jobId: job.id },
        schema: { fields: job.schema ?? [] },
        rows: (job.rows ?? []).map((r) => ({
          f: (job.schema ?? []).map((f) => ({ v: r[f.name] === null ? null : String(r[f.name]) })),
        })),
        totalRows: String(job.rows?.length ?? 0),
      });
    }
    const jobGet = at("GET", /^\/jobs\/([^/]+)$/);
    if (jobGet) {
      const job = double.jobs.get(jobGet[1] ?? "");
      if (!job) return send(res, 404, errorBody(404, `Not found: Job ${jobGet[1]}`, "notFound"));
      return send(res, 200, {
        jobReference: { jobId: job.id },
        status: job.error
          ? { state: "DONE", errorResult: { message: job.error, reason: "invalidQuery" } }
          : { state: job.done ? "DONE" : "RUNNING" },
      });
    }
    const jobCancel = at("POST", /^\/jobs\/([^/]+)\/cancel$/);
    if (jobCancel) {
      const job = double.jobs.get(jobCancel[1] ?? "");
      if (job) job.cancelled = true;
      return send(res, 200, { job: { jobReference: { jobId: jobCancel[1] } } });
    }
    send(res, 404, errorBody(404, `the double does not serve ${method} ${path}`, "notFound"));
  }

  /**
   * A load job by multipart upload (`uploadType=multipart`: the job resource as JSON, then the
   * data): newline-delimited JSON rows into the destination table, created when missing with
   * the job's schema, replaced under WRITE_TRUNCATE. The job is done at once.
   */
  function upload(req: IncomingMessage, res: ServerResponse, url: URL, text: string) {
    if (url.searchParams.get("uploadType") !== "multipart")
      return send(res, 400, errorBody(400, "the double takes multipart uploads only", "invalid"));
    const boundary = /boundary="?([^";]+)"?/.exec(req.headers["content-type"] ?? "")?.[1];
    if (!boundary) return send(res, 400, errorBody(400, "multipart body without a boundary", "invalid"));
    const parts = text
      .split(`--${boundary}`)
      .slice(1, -1)
      .map((part) => part.slice(part.indexOf("\r\n\r\n") + 4).replace(/\r\n$/, ""));
    const resource = JSON.parse(parts[0] ?? "{}") as {
      jobReference: { jobId: string };
      configuration: {
        load: {
          sourceFormat: string;
          writeDisposition?: string;
          destinationTable: { datasetId: string; tableId: string };
          schema?: { fields: unknown[] };
        };
      };
    };
    const load = resource.configuration.load;
    const id = resource.jobReference.jobId;
    double.requests[double.requests.length - 1] = {
      method: "POST",
      path: url.pathname,
      query: url.searchParams,
      body: resource,
    };
    if (load.sourceFormat !== "NEWLINE_DELIMITED_JSON")
      return send(
        res,
        400,
        errorBody(400, `the double loads NEWLINE_DELIMITED_JSON, not ${load.sourceFormat}`, "invalid"),
      );
    const key = `${load.destinationTable.datasetId}.${load.destinationTable.tableId}`;
    let table = double.tables.get(key);
    if (!table) {
      table = { resource: { tableReference: load.destinationTable, schema: load.schema }, rows: [] };
      double.tables.set(key, table);
    }
    const rows = (parts[1] ?? "")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) =>
        Object.fromEntries(
          Object.entries(JSON.parse(line) as Record<string, unknown>).map(([k, v]) => [
            k,
            v === null || typeof v === "number" || typeof v === "string" ? v : String(v),
          ]),
        ),
      );
    table.rows = load.writeDisposition === "WRITE_TRUNCATE" ? rows : table.rows.concat(rows);
    double.jobs.set(id, { id, query: "", params: {}, paramTypes: {}, polls: 0, done: true, cancelled: false, load });
    send(res, 200, {
      ...resource,
      id,
      status: { state: "DONE" },
      statistics: { load: { outputRows: String(rows.length) } },
    });
  }

  /** Runs the statement shapes the export sends against the double's tables. */
  async function run(job: Job): Promise<void> {
    job.done = true;
    const before = beforeJobs.findIndex((b) => b.statement.test(job.query));
    if (before >= 0) beforeJobs.splice(before, 1)[0]?.action();
    const failure = jobFailures.find((f) => f.statement.test(job.query));
    if (failure) {
      job.error = failure.message;
      return;
    }
    const tableOf = (name: string) => {
      const key = name.replaceAll("`", "").split(".").slice(1).join(".");
      const table = double.tables.get(key);
      if (!table) throw new Error(`Not found: Table ${name}`);
      return table;
    };
    try {
      const view = /^CREATE OR REPLACE VIEW (\S+) AS/.exec(job.query);
      const stateRead = /^SELECT table_name, CAST\(day AS STRING\) AS day, data_version, row_count FROM (\S+)/.exec(
        job.query,
      );
      const replaceDay = /^BEGIN TRANSACTION;\nDELETE FROM (\S+) WHERE/.exec(job.query);
      if (view) {
        double.views.set(view[1] ?? "", job.query);
        job.rows = [];
      } else if (stateRead) {
        const p = job.params as { organization_id: string; from?: string; to: string };
        job.schema = ["table_name", "day", "data_version", "row_count"].map((name) => ({
          name,
          type: name === "row_count" ? "INTEGER" : "STRING",
        }));
        job.rows = tableOf(stateRead[1] ?? "").rows.filter(
          (r) =>
            r.organization_id === p.organization_id &&
            (p.from === undefined || String(r.day) >= p.from) &&
            String(r.day) <= p.to,
        );
      } else if (replaceDay) {
        const p = job.params as {
          organization_id: string;
          day: string;
          table_name: string;
          data_version: string;
          row_count: string;
          rows?: Row[];
        };
        const target = tableOf(replaceDay[1] ?? "");
        // The rows come from the @rows parameter, or from a staging table the statement names.
        const fromStaging =
          /INSERT INTO \S+ \(([^)]*)\) SELECT [^;]* FROM (\S+) WHERE organization_id = @organization_id AND day = @day;/.exec(
            job.query,
          );
        if (!p.rows && fromStaging) {
          const columns = (fromStaging[1] ?? "").split(", ");
          p.rows = tableOf(fromStaging[2] ?? "")
            .rows.filter((r) => r.organization_id === p.organization_id && r.day === p.day)
            .map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
        }
        if (!p.rows) throw new Error("the statement inserts no rows the double can find");
        for (const [name, value] of [["day", p.day], ...p.rows.map((r) => ["rows.day", r.day] as const)]) {
          if (value === null || value === undefined) throw new Error(`Required field ${name} cannot be null`);
        }
        const stateName =
          /DELETE FROM (\S+) WHERE organization_id = @organization_id AND table_name/.exec(job.query)?.[1] ?? "";
        const state = tableOf(stateName);
        const inserted = p.rows;
        target.rows = target.rows
          .filter((r) => !(r.organization_id === p.organization_id && r.day === p.day))
          .concat(inserted);
        state.rows = state.rows
          .filter((r) => !(r.organization_id === p.organization_id && r.table_name === p.table_name && r.day === p.day))
          .concat([
            {
              organization_id: p.organization_id,
              table_name: p.table_name,
              day: p.day,
              data_version: p.data_version,
              row_count: Number(p.row_count),
              exported_at: new Date().toISOString(),
            },
          ]);
        job.rows = [];
      } else if (options.engine && /^(SELECT|WITH)\b/.test(job.query)) {
        await runInEngine(options.engine, job);
      } else {
        job.error = `the BigQuery double does not run this statement: ${job.query.slice(0, 80)}`;
      }
    } catch (error) {
      job.error = (error as Error).message;
    }
  }

  /** Loads the tables the query names into the engine, then runs its translation there. */
  async function runInEngine(engine: DoubleEngine, job: Job): Promise<void> {
    const named = new Set([...job.query.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ""));
    const names = new Map<string, string>();
    for (const qualifiedName of named) {
      const [project, dataset, name] = qualifiedName.split(".");
      const table = double.tables.get(`${dataset}.${name}`);
      if (project !== options.projectId || !table || !name) throw new Error(`Not found: Table ${qualifiedName}`);
      const fields = (table.resource.schema as { fields: Array<{ name: string; type: string; mode?: string }> }).fields;
      await engine.load(name, fields, table.rows);
      names.set(qualifiedName, engine.tableName(name));
    }
    const result = await engine.query(translateGoogleSql(job.query, names, job.paramTypes), job.params);
    job.schema = result.columns.map((c) => ({ name: c.name, type: bigQueryTypeOf(c.type) }));
    job.rows = result.rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])),
    );
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, errorBody(500, String(error), "internalError")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...double,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  } as BigQueryDouble;
}

/**
 * GoogleSQL to ClickHouse SQL, for the subset the product's queries use; every rewrite is here:
 * - a backquoted `project.dataset.table` becomes the engine's table holding the double's rows;
 * - `x IN UNNEST(@p)` becomes `has(@p, x)`;
 * - `@p` becomes the bound parameter `{p:Type}` of its GoogleSQL type (STRING, DATE, INT64,
 *   FLOAT64, BOOL, ARRAY<…> of them): values stay parameters, never text;
 * - the functions MIN_BY and DIV become argMin and intDiv; the CAST types FLOAT64, INT64 and
 *   STRING become Float64, Int64 and String.
 * Everything else (WITH, SELECT, JOIN … ON, GROUP BY, ORDER BY, LIMIT, BETWEEN, COUNT(DISTINCT),
 * SUM, MIN, MAX, IF, COALESCE, arithmetic) is read alike by both dialects and left as written.
 */
export function translateGoogleSql(sql: string, tables: Map<string, string>, paramTypes: Record<string, string>) {
  const engineType = (type: string): string => {
    const array = /^ARRAY<(.+)>$/.exec(type);
    if (array) return `Array(${engineType(array[1] ?? "")})`;
    const scalar: Record<string, string> = {
      STRING: "String",
      DATE: "Date",
      INT64: "Int64",
      FLOAT64: "Float64",
      BOOL: "Bool",
      NUMERIC: "Decimal(38, 9)",
    };
    const mapped = scalar[type];
    if (!mapped) throw new Error(`the double does not translate parameters of type ${type}`);
    return mapped;
  };
  return sql
    .replace(/`([^`]+)`/g, (whole, name: string) => tables.get(name) ?? whole)
    .replace(/([A-Za-z_][A-Za-z0-9_.]*) IN UNNEST\(@([A-Za-z_][A-Za-z0-9_]*)\)/g, "has(@$2, $1)")
    .replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
      const type = paramTypes[name];
      if (!type) throw new Error(`Query parameter '${name}' not found`);
      return `{${name}:${engineType(type)}}`;
    })
    .replace(/\bMIN_BY\(/g, "argMin(")
    .replace(/\bDIV\(/g, "intDiv(")
    .replace(/ AS (FLOAT64|INT64|STRING)\)/g, (_, type: string) => ` AS ${engineType(type)})`);
}

/** The BigQuery field type of an engine column type. */
function bigQueryTypeOf(type: string): string {
  const bare = type.replace(/^Nullable\((.+)\)$/, "$1").replace(/^LowCardinality\((.+)\)$/, "$1");
  if (/^U?Int\d+$/.test(bare)) return "INTEGER";
  if (/^Float\d+$/.test(bare)) return "FLOAT";
  if (/^Decimal/.test(bare)) return "NUMERIC";
  if (bare === "Date" || bare === "Date32") return "DATE";
  if (bare === "Bool") return "BOOLEAN";
  return "STRING";
}

/** Query parameters as plain values: scalars as strings, arrays of scalars as arrays, arrays of STRUCT as rows. */
function decodeParameters(parameters: Parameter[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parameters) {
    if (p.parameterType.type === "ARRAY") {
      out[p.name] = (p.parameterValue.arrayValues ?? []).map((element) =>
        element.structValues === undefined
          ? (element.value ?? null)
          : Object.fromEntries(Object.entries(element.structValues).map(([k, v]) => [k, v.value ?? null])),
      );
    } else {
      // A parameter sent without a value is NULL to BigQuery.
      out[p.name] = p.parameterValue.value ?? null;
    }
  }
  return out;
}

/** The bearer token must be an RS256 JWT signed by the test's key, for the BigQuery scope. */
function checkBearer(header: string | undefined, key: KeyObject): string | undefined {
  const token = /^Bearer (.+)$/.exec(header ?? "")?.[1];
  if (!token) return "no bearer token";
  const [head = "", payload = "", signature = ""] = token.split(".");
  const verifier = createVerify("RSA-SHA256");
  verifier.update(`${head}.${payload}`);
  if (!verifier.verify(key, Buffer.from(signature, "base64url"))) return "bad token signature";
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { scope?: string; exp?: number };
  if (!claims.scope?.split(" ").includes("https://www.googleapis.com/auth/bigquery"))
    return "token lacks the bigquery scope";
  if (!claims.exp || claims.exp * 1000 < Date.now()) return "token expired";
  return undefined;
}

function errorBody(code: number, message: string, reason: string) {
  return { error: { code, message, errors: [{ message, reason }], status: reason } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
  res.end(JSON.stringify(body));
}

/** A service account key file with a fresh RSA key, and the public half the double verifies with. */
export function writeServiceAccountKey(path: string, projectId: string, account = "export"): { publicKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(
    path,
    JSON.stringify({
      type: "service_account",
      project_id: projectId,
      private_key_id: `${account}-key`,
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
      client_email: `${account}@${projectId}.iam.gserviceaccount.com`,
      client_id: "1",
    }),
  );
  return { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}
