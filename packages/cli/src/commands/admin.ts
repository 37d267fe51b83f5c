import { parseArgs } from "node:util";
import { ConfigError, createLogger, DomainError, echo } from "@trellis/platform";
import { createStore, loadStoreConfig, renderSchema, type Store } from "@trellis/store";
import { createAccounts, createWardenRepository, scopeNames } from "@trellis/warden";

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

/** An API key as the CLI shows it: everything but the hash of its secret, which never leaves the store. */
function shownKey<K extends { secretHash: string }>({ secretHash: _hash, ...key }: K): Omit<K, "secretHash"> {
  return key;
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
      "retention-days": { type: "string" },
      cluster: { type: "string" },
      database: { type: "string" },
    },
  });
  const action = positionals[0];
  switch (`${command} ${action ?? ""}`.trim()) {
    case "migrate":
      await withStore(async (store) => print({ applied: await store.migrate() }));
      return;
    case "schema": {
      const database = values.database ?? process.env.TRELLIS_CLICKHOUSE_DATABASE ?? "trellis";
      process.stdout.write(`${renderSchema({ database, cluster: values.cluster }).join(";\n\n")};\n`);
      return;
    }
    case "orgs create":
      await withStore(async (store) => {
        const accounts = createAccounts({ repository: createWardenRepository(store) });
        print(
          await accounts.createOrganization({
            name: values.name ?? values.id ?? "",
            id: values.id,
            retentionDays: values["retention-days"] ? Number(values["retention-days"]) : undefined,
          }),
        );
      });
      return;
    case "orgs list":
      await withStore(async (store) => print(await createWardenRepository(store).listOrganizations()));
      return;
    case "keys create":
      await withStore(async (store) => {
        if (!values.org) throw new UsageError("keys create needs --org <organization id>");
        const accounts = createAccounts({ repository: createWardenRepository(store) });
        const { key, credential } = await accounts.createApiKey({
          organizationId: values.org,
          name: values.name ?? "api key",
          scopes: values.scope ?? [],
        });
        print({ id: key.id, organization_id: key.organizationId, scopes: key.scopes, api_key: credential });
        process.stderr.write("The API key is shown only now; store it safely.\n");
      });
      return;
    case "keys list":
      await withStore(async (store) => {
        if (!values.org) throw new UsageError("keys list needs --org <organization id>");
        const keys = await createWardenRepository(store).listApiKeys(values.org);
        print(keys.map(shownKey));
      });
      return;
    case "keys revoke":
      await withStore(async (store) => {
        const id = positionals[1];
        if (!id) throw new UsageError("keys revoke needs the key id: trellis keys revoke <id>");
        print(shownKey(await createAccounts({ repository: createWardenRepository(store) }).revokeApiKey(id)));
      });
      return;
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
  schema [--cluster NAME] [--database DB] print the schema DDL (ON CLUSTER with --cluster)
  orgs create --name NAME [--id ID] [--retention-days N]
  orgs list
  keys create --org ID [--name NAME] [--scope S]...   scopes: ${Object.keys(scopeNames).join(", ")} (default: all)
  keys list --org ID
  keys revoke KEY_ID

Admin commands open the data directory directly: stop a running embedded server first.`;

export function describeError(error: unknown): string {
  if (error instanceof ConfigError || error instanceof DomainError || error instanceof UsageError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  if (/Cannot lock file .*status/.test(message)) {
    return "the data directory is in use by a running trellis process; stop it first (or point TRELLIS_DATA_DIR elsewhere)";
  }
  return message;
}
