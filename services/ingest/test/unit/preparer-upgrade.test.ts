import type { Event } from "@trellis/contracts";
import { createLogger } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { type Preparer, preparerUpgradingTo } from "../../src/adapters/preparer.js";
import type { PrepareContext, PreparedBatch } from "../../src/domain/prepare.js";

const logger = createLogger({ service: "test", level: "silent" });
const context: PrepareContext = {
  organizationId: "acme",
  retentionDays: 30,
  clientBatchId: "b1",
  receivedAt: new Date(),
};

/** A preparer that answers with its own name as the only row, and counts its closes. */
function named(name: string) {
  const preparer = {
    closes: 0,
    async prepare(): Promise<PreparedBatch> {
      return {
        block: new TextEncoder().encode(name),
        rows: 1,
        acceptedEventIds: [],
        rejected: [],
        dates: new Set(),
        identity: { batchId: "b1", recognisable: true },
      };
    },
    async close() {
      preparer.closes++;
    },
  };
  return preparer satisfies Preparer;
}

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const rowsOf = async (preparer: Preparer) =>
  new TextDecoder().decode((await preparer.prepare({ events: [] as Event[] }, context)).block);

describe("preparerUpgradingTo", () => {
  it("prepares on the first preparer until the pool is ready, then on the pool, closing the first once", async () => {
    const first = named("thread");
    const pool = named("pool");
    const starting = deferred<Preparer>();
    const preparer = preparerUpgradingTo(first, () => starting.promise, logger);
    expect(await rowsOf(preparer)).toBe("thread");
    starting.resolve(pool);
    await starting.promise;
    await new Promise((r) => setImmediate(r));
    expect(await rowsOf(preparer)).toBe("pool");
    expect(first.closes).toBe(1);
    await preparer.close();
    expect(pool.closes).toBe(1);
    expect(first.closes).toBe(1);
  });

  it("stays on the first preparer when the pool cannot start", async () => {
    const first = named("thread");
    const starting = deferred<Preparer>();
    const preparer = preparerUpgradingTo(first, () => starting.promise, logger);
    starting.reject(new Error("no worker"));
    await new Promise((r) => setImmediate(r));
    expect(await rowsOf(preparer)).toBe("thread");
    await preparer.close();
    expect(first.closes).toBe(1);
  });

  it("closing while the pool starts stops the start and closes the first preparer", async () => {
    const first = named("thread");
    const starting = deferred<Preparer>();
    let signal: AbortSignal | undefined;
    const preparer = preparerUpgradingTo(
      first,
      (given) => {
        signal = given;
        given.addEventListener("abort", () => starting.reject(new Error("start stopped")));
        return starting.promise;
      },
      logger,
    );
    expect(signal?.aborted).toBe(false);
    await preparer.close();
    expect(signal?.aborted).toBe(true);
    expect(first.closes).toBe(1);
  });

  it("a pool that becomes ready after closing began is closed at once and never used", async () => {
    const first = named("thread");
    const pool = named("pool");
    const starting = deferred<Preparer>();
    const preparer = preparerUpgradingTo(first, () => starting.promise, logger);
    const closed = preparer.close();
    starting.resolve(pool);
    await closed;
    expect(pool.closes).toBe(1);
    expect(first.closes).toBe(1);
  });
});
