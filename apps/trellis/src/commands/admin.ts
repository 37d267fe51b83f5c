import { parseArgs } from "node:util";
import { ConfigError, createLogger, DomainError, echo } from "@trellis/platform";
import { createStore, loadStoreConfig, renderSchema, type Store } from "@trellis/store";
import { scopeNames } from "@trellis/warden";
import { type Admin, AdminCallError, remoteAdmin, storeAdmin } from "../admin-client.js";

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const logger = createLogger({ service: "trellis", level: "warn", destination: process.stderr });
  const store = createStore(loadStoreConfig(process.env), { logger });
  try {
    await store.migrate();
    return await fn(store);
  } finally {
    await store.close();
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Organizations and keys are managed through a running product's admin RPCs when its URL
 * (`--url` or TRELLIS_URL) is given, with TRELLIS_WARDEN_ADMIN_TOKEN; otherwise in the data
 * directory, which only works while no trellis process holds it.
 */
async function withAdmin<T>(url: string | undefined, fn: (admin: Admin) => Promise<T>): Promise<T> {
  if (!url) return withStore((store) => fn(storeAdmin(store)));
  const token = process.env.TRELLIS_WARDEN_ADMIN_TOKEN;
  if (!token) {
    throw new UsageError(
      `administering ${url} needs TRELLIS_WARDEN_ADMIN_TOKEN: the admin token that product was started with`,
    );
  }
  return fn(remoteAdmin(url, token));
}

/** `trellis orgs …`, `trellis keys …`, `trellis migrate`, `trellis schema`. */
export async function adminCommand(command: string, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      org: { type: "string" },
      name: { type: "string" },
      id: { type: "string" },
      scope: { type: "string", multiple: true },
      publishable: { type: "boolean" },
      origin: { type: "string", multiple: true },
      "retention-days": { type: "string" },
      cluster: { type: "string" },
      server: { type: "boolean" },
      database: { type: "string" },
      url: { type: "string" },
    },
  });
  const url = values.url ?? (process.env.TRELLIS_URL || undefined);
  const action = positionals[0];
  switch (`${command} ${action ?? ""}`.trim()) {
    case "migrate":
      await withStore(async (store) => print({ applied: await store.migrate() }));
      return;
    case "schema": {
      const database = values.database ?? process.env.TRELLIS_CLICKHOUSE_DATABASE ?? "trellis";
      process.stdout.write(
        `${renderSchema({ database, cluster: values.cluster, server: values.server }).join(";\n\n")};\n`,
      );
      return;
    }
    case "orgs create":
      await withAdmin(url, async (admin) =>
        print(
          await admin.createOrganization({
            name: values.name ?? values.id ?? "",
            id: values.id,
            retentionDays: values["retention-days"] ? Number(values["retention-days"]) : undefined,
          }),
        ),
      );
      return;
    case "orgs list":
      await withAdmin(url, async (admin) => print(await admin.listOrganizations()));
      return;
    case "keys create": {
      const organizationId = values.org;
      if (!organizationId) throw new UsageError("keys create needs --org <organization id>");
      const publishable = values.publishable === true;
      if (publishable && !values.origin?.length)
        throw new UsageError("keys create --publishable needs at least one --origin https://your.site");
      if (!publishable && values.origin?.length)
        throw new UsageError("--origin binds a publishable key: add --publishable");
      await withAdmin(url, async (admin) => {
        const { key, credential } = await admin.createApiKey({
          organizationId,
          name: values.name ?? (publishable ? "publishable key" : "api key"),
          scopes: values.scope ?? [],
          kind: publishable ? "publishable" : "secret",
          allowedOrigins: values.origin ?? [],
        });
        print({
          id: key.id,
          organization_id: key.organizationId,
          kind: key.kind,
          scopes: key.scopes,
          ...(publishable ? { allowed_origins: key.allowedOrigins } : {}),
          api_key: credential,
        });
        process.stderr.write(
          publishable
            ? "A publishable key may appear in web pages: it can only send events from the listed origins.\n"
            : "The API key is shown only now; store it safely.\n",
        );
      });
      return;
    }
    case "keys list": {
      const organizationId = values.org;
      if (!organizationId) throw new UsageError("keys list needs --org <organization id>");
      await withAdmin(url, async (admin) => print(await admin.listApiKeys(organizationId)));
      return;
    }
    case "keys revoke": {
      const id = positionals[1];
      if (!id) throw new UsageError("keys revoke needs the key id: trellis keys revoke <id>");
      await withAdmin(url, async (admin) => print(await admin.revokeApiKey(id)));
      return;
    }
    default:
      throw new UsageError(`unknown command ${echo([command, action].filter(Boolean).join(" "))}`);
  }
}

export class UsageError extends Error {
  override name = "UsageError";
}

export const usage = `usage: trellis <command>

  start                                   run every service in this process (the embedded default)
  seed [--events N] [--organizations N] [--days N] [--seed S] [--org ID] [--truth FILE]
                                          realistic traffic straight into the store (creates the organizations)
  seed --url URL --key KEY [--events N]   the same traffic through a running server's API
  migrate                                 apply pending schema migrations
  export                                  one BigQuery export run of every organization's changed days
                                          (TRELLIS_BIGQUERY_*; the all-in-one process schedules its own)
  rebuild [--org ID]... [--from DATE] [--to DATE] [--days-per-step N]
                                          make the rollups and landing sessions of stored days again from the
                                          raw events (a cluster upgraded across a migration that adds one;
                                          every organization by default; on a server, up to yesterday)
  schema [--cluster NAME | --server] [--database DB]
                                          print the schema DDL (ON CLUSTER with --cluster; a server's
                                          and a cluster's hold the tenant-SQL role and row policies)
  orgs create --name NAME [--id ID] [--retention-days N] [--url URL]
  orgs list [--url URL]
  keys create --org ID [--name NAME] [--scope S]... [--url URL]   scopes: ${Object.keys(scopeNames).join(", ")} (default: all)
  keys create --org ID --publishable --origin https://your.site [--origin …] [--url URL]
                                          a key for the browser tracker: events only, from those origins
  keys list --org ID [--url URL]
  keys revoke KEY_ID [--url URL]

orgs and keys commands work on a running trellis through its admin RPCs when given its URL
(--url or TRELLIS_URL) and TRELLIS_WARDEN_ADMIN_TOKEN (the token it was started with);
without a URL they open the data directory, which only works while no trellis process runs.`;

export function describeError(error: unknown): string {
  if (
    error instanceof ConfigError ||
    error instanceof DomainError ||
    error instanceof UsageError ||
    error instanceof AdminCallError
  ) {
    return error.message;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/Cannot lock file .*status/.test(message)) {
    return (
      "the data directory is in use by a running trellis process: administer it through its API " +
      "(TRELLIS_URL=http://127.0.0.1:8080 with TRELLIS_WARDEN_ADMIN_TOKEN, the token it was started with), " +
      "stop it first, or point TRELLIS_DATA_DIR elsewhere"
    );
  }
  return message;
}
