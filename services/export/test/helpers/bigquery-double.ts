// A local HTTP double of the BigQuery REST API (v2), for tests only: BigQuery cannot run here.
// It answers the requests the official client makes for the export — datasets and tables
// (get, insert), query jobs (insert, getQueryResults polling, get, cancel) — records each one
// for the tests to check, verifies the self-signed JWT on every request against the test's
// key, and keeps the rows the export's statements write so that a later run sees them. It runs
// only the statement shapes the export sends (recognised by their text); anything else fails
// the job, as an unknown statement should fail a test. Failures can be injected: an HTTP error
// for the next matching requests, or a job that completes with an error.
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
  parameterValue: { value?: string; arrayValues?: Array<{ structValues?: Record<string, { value?: string | null }> }> };
}

interface Job {
  id: string;
  query: string;
  params: Record<string, unknown>;
  polls: number;
  done: boolean;
  error?: string;
  rows?: Row[];
  schema?: Array<{ name: string; type: string }>;
  cancelled: boolean;
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
  close(): Promise<void>;
}

/** Starts the double on a free loopback port; requests must carry a JWT signed by `publicKeyPem`'s key. */
export async function startBigQueryDouble(options: {
  projectId: string;
  publicKeyPem: string;
}): Promise<BigQueryDouble> {
  const publicKey = createPublicKey(options.publicKeyPem);
  const requestFailures: Array<{ method: string; path: RegExp; status: number; times: number }> = [];
  let jobFailures: Array<{ statement: RegExp; message: string }> = [];
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
  };

  const prefix = `/bigquery/v2/projects/${options.projectId}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://double");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const method = req.method ?? "GET";
    double.requests.push({ method, path: url.pathname, query: url.searchParams, body });

    const authError = checkBearer(req.headers.authorization, publicKey);
    if (authError) return send(res, 401, errorBody(401, authError, "unauthorized"));
    const failure = requestFailures.find((f) => f.method === method && f.path.test(url.pathname) && f.times > 0);
    if (failure) {
      failure.times--;
      return send(res, failure.status, errorBody(failure.status, "injected by the test", "backendError"));
    }
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
      if (!job.done) run(job);
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

  /** Runs the statement shapes the export sends against the double's tables. */
  function run(job: Job): void {
    job.done = true;
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
        const p = job.params as { organization_id: string; from: string; to: string };
        job.schema = ["table_name", "day", "data_version", "row_count"].map((name) => ({
          name,
          type: name === "row_count" ? "INTEGER" : "STRING",
        }));
        job.rows = tableOf(stateRead[1] ?? "").rows.filter(
          (r) => r.organization_id === p.organization_id && String(r.day) >= p.from && String(r.day) <= p.to,
        );
      } else if (replaceDay) {
        const p = job.params as {
          organization_id: string;
          day: string;
          table_name: string;
          data_version: string;
          row_count: string;
          rows: Row[];
        };
        const target = tableOf(replaceDay[1] ?? "");
        for (const [name, value] of [["day", p.day], ...p.rows.map((r) => ["rows.day", r.day] as const)]) {
          if (value === null || value === undefined) throw new Error(`Required field ${name} cannot be null`);
        }
        const stateName =
          /DELETE FROM (\S+) WHERE organization_id = @organization_id AND table_name/.exec(job.query)?.[1] ?? "";
        const state = tableOf(stateName);
        target.rows = target.rows
          .filter((r) => !(r.organization_id === p.organization_id && r.day === p.day))
          .concat(p.rows);
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
      } else {
        job.error = `the BigQuery double does not run this statement: ${job.query.slice(0, 80)}`;
      }
    } catch (error) {
      job.error = (error as Error).message;
    }
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

/** Query parameters as plain values: scalars as strings, arrays of STRUCT as rows. */
function decodeParameters(parameters: Parameter[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parameters) {
    if (p.parameterType.type === "ARRAY") {
      out[p.name] = (p.parameterValue.arrayValues ?? []).map((element) =>
        Object.fromEntries(Object.entries(element.structValues ?? {}).map(([k, v]) => [k, v.value ?? null])),
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
