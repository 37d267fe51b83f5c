import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type WebhookDelivery, WebhookDeliverySchema } from "@trellis/contracts";
import type { Store } from "@trellis/store";

export interface Webhook {
  url: string;
  secret: string;
}

export interface DeliveryAttempt {
  deliveryId: string;
  runId: string;
  url: string;
  attempt: number;
  status: number;
  outcome: "delivered" | "retrying" | "failed";
  error: string;
}

const engineTime = (date: Date) => date.toISOString().replace("T", " ").replace("Z", "");

/** The organization's webhook (newest row wins; an empty URL is none) and the log of every delivery attempt. */
export function createWebhookStore(store: Store, clock: () => Date) {
  const db = store.database;
  return {
    /** Sets the URL with a fresh signing secret (or removes the webhook with an empty URL). */
    async put(organizationId: string, url: string): Promise<Webhook> {
      const secret = url === "" ? "" : `whsec_${randomBytes(24).toString("base64url")}`;
      await store.insert(
        "discovery_webhooks",
        [{ organization_id: organizationId, updated_at: engineTime(clock()), url, secret }],
        { organizationId },
      );
      return { url, secret };
    },

    async get(organizationId: string, signal?: AbortSignal): Promise<Webhook | undefined> {
      const { rows } = await store.query<Webhook>({
        name: "discovery webhook (get)",
        sql: `SELECT argMax(url, updated_at) AS url, argMax(secret, updated_at) AS secret
FROM ${db}.discovery_webhooks WHERE organization_id = {organization_id:String}`,
        params: { organization_id: organizationId },
        organizationId,
        signal,
      });
      const row = rows[0];
      return row && row.url !== "" ? row : undefined;
    },

    async log(organizationId: string, attempt: DeliveryAttempt): Promise<void> {
      await store.insert(
        "discovery_webhook_deliveries",
        [
          {
            organization_id: organizationId,
            delivery_id: attempt.deliveryId,
            run_id: attempt.runId,
            url: attempt.url,
            attempt: attempt.attempt,
            status: attempt.status,
            outcome: attempt.outcome,
            error: attempt.error.slice(0, 500),
            at: engineTime(clock()),
          },
        ],
        { organizationId },
      );
    },

    async deliveries(organizationId: string, limit: number, signal?: AbortSignal): Promise<WebhookDelivery[]> {
      const { rows } = await store.query<{
        delivery_id: string;
        run_id: string;
        url: string;
        attempt: number;
        status: number;
        outcome: string;
        error: string;
        at: string;
      }>({
        name: "discovery webhook deliveries (list)",
        sql: `SELECT delivery_id, run_id, url, attempt, status, outcome, error, toString(at) AS at
FROM ${db}.discovery_webhook_deliveries WHERE organization_id = {organization_id:String}
ORDER BY at DESC, delivery_id, attempt DESC LIMIT {limit:UInt32}`,
        params: { organization_id: organizationId, limit },
        organizationId,
        signal,
      });
      return rows.map((r) =>
        create(WebhookDeliverySchema, {
          id: r.delivery_id,
          runId: r.run_id,
          url: r.url,
          attempt: Number(r.attempt),
          status: Number(r.status),
          outcome: r.outcome,
          error: r.error,
          at: timestampFromDate(new Date(`${r.at.replace(" ", "T")}Z`)),
        }),
      );
    },
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
