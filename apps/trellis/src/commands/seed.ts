import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { EventSchema } from "@trellis/contracts";
import { createGenerator } from "@trellis/generator";
import { createLogger } from "@trellis/platform";
import { createStore, loadStoreConfig } from "@trellis/store";
import { createAccounts, createWardenRepository, DEFAULT_RETENTION_DAYS } from "@trellis/warden";
import { createProgress } from "../progress.js";
import { seedDirect, toProtoEvent } from "../seed.js";
import { UsageError } from "./admin.js";

function positive(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} expects a positive whole number, got "${value}"`);
  return n;
}

/**
 * `trellis seed`: realistic, deterministic traffic. Straight into the store (the server
 * stopped), creating the generated organizations, or through a running server's API.
 */
export async function seedCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: "string" },
      organizations: { type: "string" },
      days: { type: "string" },
      seed: { type: "string" },
      org: { type: "string" },
      truth: { type: "string" },
      url: { type: "string" },
      key: { type: "string" },
    },
  });
  const events = positive(values.events, 100_000, "--events");
  const organizations = positive(values.organizations, 10, "--organizations");
  const days = positive(values.days, 90, "--days");
  const seed = positive(values.seed, 42, "--seed");

  if (values.url) {
    if (!values.key) throw new UsageError("--url needs --key <API key with the events:write scope>");
    await seedOverApi(values.url, values.key, { events, organizations, days, seed });
    return;
  }

  const logger = createLogger({ service: "trellis", level: "warn", destination: process.stderr });
  const store = createStore(loadStoreConfig(process.env), { logger });
  try {
    await store.migrate();
    const repository = createWardenRepository(store);
    const accounts = createAccounts({ repository });
    if (values.org && !(await repository.getOrganization(values.org))) {
      throw new UsageError(
        `organization "${values.org}" does not exist; create it with: trellis orgs create --id ${values.org}`,
      );
    }
    const end = new Date(Date.now() - 60_000);
    const generator = createGenerator({
      seed,
      organizations,
      totalEvents: events,
      start: new Date(end.getTime() - days * 86_400_000),
      end,
    });
    if (!values.org) {
      for (const org of generator.organizations) {
        if (!(await repository.getOrganization(org.id)))
          await accounts.createOrganization({ id: org.id, name: org.name });
      }
    }
    const result = await seedDirect(store, generator, {
      seed,
      events,
      retentionDays: DEFAULT_RETENTION_DAYS,
      organizationFor: (generated) => values.org ?? generated,
      enricher: { ipHashKey: process.env.TRELLIS_IP_HASH_KEY ?? "seed-ip-hash-key-0123456789abcdef0123" },
    });
    process.stderr.write(`wrote ${result.done.toLocaleString("en")} events in ${result.seconds.toFixed(1)} s\n`);
    if (result.rejected > 0)
      process.stderr.write(`${result.rejected.toLocaleString("en")} generated events were refused by validation\n`);
    if (values.truth) {
      writeFileSync(values.truth, `${JSON.stringify(generator.groundTruth(), null, 2)}\n`);
      process.stderr.write(`ground truth written to ${values.truth}\n`);
    }
  } finally {
    await store.close();
  }
}

async function seedOverApi(
  url: string,
  key: string,
  options: { events: number; organizations: number; days: number; seed: number },
) {
  const end = new Date(Date.now() - 60_000);
  const generator = createGenerator({
    seed: options.seed,
    organizations: options.organizations,
    totalEvents: options.events,
    start: new Date(end.getTime() - options.days * 86_400_000),
    end,
  });
  const progress = createProgress("sending", options.events);
  let batchNumber = 0;
  for (const batch of generator.batches(2_000)) {
    const batchId = `seed-${options.seed}-${batchNumber++}`;
    const body = JSON.stringify({
      batch_id: batchId,
      events: batch.map((e) => toJson(EventSchema, toProtoEvent(e))),
    });
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${url.replace(/\/$/, "")}/api/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body,
      }).catch((error: unknown) => ({ status: 0, text: async () => String(error), headers: new Headers() }));
      if (response.status === 200) break;
      const retryable = response.status === 0 || response.status === 429 || response.status >= 500;
      if (!retryable || attempt >= 10)
        throw new Error(`batch ${batchId} failed with ${response.status}: ${await response.text()}`);
      const retryAfter = Number(response.headers.get("retry-after") ?? 1);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 * attempt));
    }
    progress.add(batch.length);
  }
  progress.finish();
}
