import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@trellis/platform";
import { refusedDestination, type WebhookDestinationPolicy } from "./destination.js";
import { SIGNATURE_HEADER, signBody } from "./signature.js";
import type { WebhookStore } from "./webhook-store.js";

export interface DeliverySettings extends WebhookDestinationPolicy {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
}

/**
 * Announces a run to the organization's webhook: a JSON body signed with its secret, POSTed
 * with retries (back-off doubling from `backoffMs`) until a 2xx answer or `attempts` tries;
 * every attempt is logged. A 4xx other than 408 and 429 is not retried: the receiver refused it.
 */
export function createWebhookDelivery(
  webhooks: WebhookStore,
  settings: DeliverySettings,
  logger: Logger,
  clock: () => Date,
) {
  const inFlight = new Set<Promise<void>>();
  const stop = new AbortController();

  async function deliver(organizationId: string, runId: string, payload: unknown): Promise<void> {
    const webhook = await webhooks.get(organizationId);
    if (!webhook) return;
    const deliveryId = `dlv_${randomBytes(9).toString("base64url")}`;
    const body = JSON.stringify(payload);
    for (let attempt = 1; attempt <= settings.attempts; attempt++) {
      let status = 0;
      let error = "";
      // A destination it may not reach is final: retrying would not change where it points.
      let refused: string | undefined;
      try {
        refused = await refusedDestination(new URL(webhook.url), settings);
        if (refused) throw new Error(refused);
        const response = await fetch(webhook.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [SIGNATURE_HEADER]: signBody(webhook.secret, body, clock()),
            "x-trellis-delivery": deliveryId,
          },
          body,
          redirect: "manual",
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(settings.timeoutMs)]),
        });
        status = response.status;
        await response.body?.cancel();
      } catch (e) {
        error = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
      }
      const delivered = status >= 200 && status < 300;
      const final =
        delivered ||
        refused !== undefined ||
        attempt === settings.attempts ||
        (status >= 400 && status < 500 && status !== 408 && status !== 429);
      const outcome = delivered ? "delivered" : final ? "failed" : "retrying";
      await webhooks.log(organizationId, {
        deliveryId,
        runId,
        url: webhook.url,
        attempt,
        status,
        outcome,
        error: error || (delivered ? "" : `HTTP ${status}`),
      });
      logger.info(
        { organization_id: organizationId, run_id: runId, delivery_id: deliveryId, attempt, status, outcome },
        "webhook delivery attempt",
      );
      if (final || stop.signal.aborted) return;
      await sleep(settings.backoffMs * 2 ** (attempt - 1), undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) return;
    }
  }

  return {
    /** Starts a delivery in the background; close() waits for (or stops) the ones in flight. */
    announce(organizationId: string, runId: string, payload: unknown): void {
      const job = deliver(organizationId, runId, payload)
        .catch((error) =>
          logger.error({ err: error, organization_id: organizationId, run_id: runId }, "webhook delivery failed"),
        )
        .finally(() => inFlight.delete(job));
      inFlight.add(job);
    },
    async close(): Promise<void> {
      stop.abort();
      await Promise.all(inFlight);
    },
  };
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;
