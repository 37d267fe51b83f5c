import { BigQuery, type BigQueryOptions } from "@google-cloud/bigquery";
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
