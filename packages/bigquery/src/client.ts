import { BigQuery, type BigQueryOptions, type Query } from "@google-cloud/bigquery";
import { GoogleAuth } from "google-auth-library";
import type { BigQueryConfig } from "./config.js";

const BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery";

/**
 * The official client for the configured project. A key file signs its own token for every
 * request (a self-signed JWT with the BigQuery scope, as Google's generated clients do: no
 * token exchange, no extra round trip); without one, Application Default Credentials
 * (workload identity, the metadata server, GOOGLE_APPLICATION_CREDENTIALS). Idempotent
 * requests are retried by the client on 429 and 5xx.
 */
export function createBigQueryClient(config: BigQueryConfig): BigQuery {
  let authClient: GoogleAuth | undefined;
  if (config.keyFile) {
    authClient = new GoogleAuth({ keyFilename: config.keyFile, scopes: [BIGQUERY_SCOPE] });
    authClient.useJWTAccessWithScope = true;
  }
  return new BigQuery({
    projectId: config.projectId,
    location: config.location,
    // The client's option names the GoogleAuth of its own copy of google-auth-library.
    ...(authClient ? { authClient: authClient as unknown as BigQueryOptions["authClient"] } : {}),
    ...(config.apiEndpoint ? { apiEndpoint: config.apiEndpoint } : {}),
    autoRetry: true,
    maxRetries: 4,
  });
}

/** Runs one GoogleSQL statement as a query job and answers its rows (DATE parameters may be YYYY-MM-DD strings). */
export type JobRunner = <T>(
  sql: string,
  params?: Record<string, unknown>,
  types?: Query["types"],
  signal?: AbortSignal,
) => Promise<T[]>;

/**
 * Query jobs in the configured location, labelled `application: <label>`. The client polls
 * getQueryResults until the job completes; the deadline (config.jobTimeoutMs) and the caller's
 * signal are ours: past either, the job is cancelled and the call fails.
 */
export function createJobRunner(bigquery: BigQuery, config: BigQueryConfig, label: string): JobRunner {
  return async <T>(sql: string, params: Record<string, unknown> = {}, types?: Query["types"], signal?: AbortSignal) => {
    signal?.throwIfAborted();
    // The client sends a DATE parameter's value only from its own date type: a YYYY-MM-DD string
    // given for one is wrapped here.
    const values = Object.fromEntries(
      Object.entries(params).map(([name, value]) => [
        name,
        (types as Record<string, unknown> | undefined)?.[name] === "DATE" && typeof value === "string"
          ? BigQuery.date(value)
          : value,
      ]),
    );
    const [job] = await bigquery.createQueryJob({
      query: sql,
      params: values,
      ...(types ? { types } : {}),
      location: config.location,
      jobTimeoutMs: config.jobTimeoutMs,
      labels: { application: label },
    });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      const cancel = (reason: string) => {
        job.cancel().catch(() => {});
        reject(new Error(`BigQuery job ${job.id} ${reason}; cancelled`));
      };
      timer = setTimeout(() => cancel(`did not finish within ${config.jobTimeoutMs} ms`), config.jobTimeoutMs);
      onAbort = () => cancel("was abandoned by its caller");
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const [rows] = await Promise.race([job.getQueryResults(), stopped]);
      return rows as T[];
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  };
}
