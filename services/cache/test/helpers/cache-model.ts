import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { type CacheService, type DateRange, DateRangeSchema, Freshness } from "@trellis/contracts";
import fc from "fast-check";
import { expect } from "vitest";
import { asOrganization, bytes, text } from "./cache-harness.js";

export const ORGANIZATIONS = ["acme", "globex", "initech"] as const;
export const KEYS = ["q1:a", "q1:b"] as const;

/** Data ranges and the UTC months each one depends on (widened by a day on each side). */
export const RANGES: ReadonlyArray<{ range?: DateRange; months: string[] }> = [
  { months: [] },
  { range: create(DateRangeSchema, { startDate: "2026-01-05", endDate: "2026-01-20" }), months: ["2026-01"] },
  { range: create(DateRangeSchema, { startDate: "2026-03-05", endDate: "2026-03-20" }), months: ["2026-03"] },
  {
    range: create(DateRangeSchema, { startDate: "2026-01-10", endDate: "2026-02-28" }),
    months: ["2026-01", "2026-02", "2026-03"],
  },
];
const DATES = ["2026-01-15", "2026-02-10", "2026-03-01", "2026-06-01"] as const;

export type Op =
  | { kind: "get" | "set"; instance: number; org: number; key: number; range: number; fromOlderGet: boolean }
  | { kind: "advance"; instance: number; org: number; dates: string[] }
  | { kind: "invalidate" | "ruleset"; instance: number; org: number };

export function opArbitrary(instances: number): fc.Arbitrary<Op> {
  const instance = fc.nat({ max: instances - 1 });
  const org = fc.nat({ max: ORGANIZATIONS.length - 1 });
  const slot = {
    instance,
    org,
    key: fc.nat({ max: KEYS.length - 1 }),
    range: fc.nat({ max: RANGES.length - 1 }),
    fromOlderGet: fc.boolean(),
  };
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("get" as const), ...slot }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("set" as const), ...slot }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("advance" as const),
        instance,
        org,
        dates: fc.subarray([...DATES]),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("invalidate" as const), instance, org }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("ruleset" as const), instance, org }) },
  );
}

interface Looked {
  dataVersion: bigint;
  rulesetVersion: bigint;
  /** The slot's invalidation count when the versions were read. */
  epoch: number;
}

/**
 * Runs `ops` against cache instances that share their state (one instance, or several on
 * one Redis) beside a model of what each (organization, key, range) slot must answer:
 * the last value stored since the last event that touched the slot, or nothing. Every get
 * must return exactly that value (never a foreign or stale one, and no miss while the entry
 * is live), and every set must be stored exactly when its versions are still current.
 */
export async function runAgainstModel(clients: Array<Client<typeof CacheService>>, ops: readonly Op[]): Promise<void> {
  const live = new Map<string, string>();
  const epochs = new Map<string, number>();
  const looked = new Map<string, Looked[]>();
  let counter = 0;
  const slotId = (org: number, key: number, range: number) => `${org}/${key}/${range}`;
  const touch = (org: number, affects: (range: number) => boolean) => {
    for (let key = 0; key < KEYS.length; key++) {
      for (let range = 0; range < RANGES.length; range++) {
        if (!affects(range)) continue;
        const id = slotId(org, key, range);
        live.delete(id);
        epochs.set(id, (epochs.get(id) ?? 0) + 1);
      }
    }
  };

  for (const op of ops) {
    const client = clients[op.instance % clients.length];
    if (!client) throw new Error("no client");
    const organizationId = ORGANIZATIONS[op.org] ?? "acme";
    const options = await asOrganization(organizationId);
    switch (op.kind) {
      case "get": {
        const id = slotId(op.org, op.key, op.range);
        const got = await client.get({ key: KEYS[op.key], dataRange: RANGES[op.range]?.range }, options);
        const expected = live.get(id);
        if (got.found) expect(text(got.value)).toBe(expected);
        else expect(expected).toBeUndefined();
        const history = looked.get(id) ?? [];
        history.push({ dataVersion: got.dataVersion, rulesetVersion: got.rulesetVersion, epoch: epochs.get(id) ?? 0 });
        looked.set(id, history.slice(-3));
        break;
      }
      case "set": {
        const id = slotId(op.org, op.key, op.range);
        const history = looked.get(id);
        const versions = op.fromOlderGet ? history?.[0] : history?.at(-1);
        if (!versions) break;
        const value = `${organizationId}|${KEYS[op.key]}|${op.range}|${counter++}`;
        const result = await client.set(
          {
            key: KEYS[op.key],
            value: bytes(value),
            freshness: Freshness.DAILY,
            dataVersion: versions.dataVersion,
            rulesetVersion: versions.rulesetVersion,
            dataRange: RANGES[op.range]?.range,
          },
          options,
        );
        const current = versions.epoch === (epochs.get(id) ?? 0);
        expect(result.stored).toBe(current);
        if (result.stored) live.set(id, value);
        break;
      }
      case "advance": {
        await client.advanceDataVersion({ dates: op.dates }, options);
        const months = new Set(op.dates.map((d) => d.slice(0, 7)));
        touch(op.org, (range) => {
          const spec = RANGES[range];
          if (!spec?.range || op.dates.length === 0) return true;
          return spec.months.some((m) => months.has(m));
        });
        break;
      }
      case "invalidate":
        await client.invalidateOrganization({}, options);
        touch(op.org, () => true);
        break;
      case "ruleset":
        await client.advanceRulesetVersion({ rulesetVersion: 0n }, options);
        touch(op.org, () => true);
        break;
    }
  }
}

/** Concurrent calls of every kind over all organizations: no answer may belong to another slot. */
export async function runConcurrently(clients: Array<Client<typeof CacheService>>, ops: readonly Op[]): Promise<void> {
  await Promise.all(
    ops.map(async (op, index) => {
      const client = clients[op.instance % clients.length];
      if (!client) throw new Error("no client");
      const organizationId = ORGANIZATIONS[op.org] ?? "acme";
      const options = await asOrganization(organizationId);
      if (op.kind === "get" || op.kind === "set") {
        const key = KEYS[op.key];
        const dataRange = RANGES[op.range]?.range;
        const got = await client.get({ key, dataRange }, options);
        if (got.found) expect(text(got.value).split("|").slice(0, 3)).toEqual([organizationId, key, String(op.range)]);
        if (op.kind === "set" && !got.found) {
          await client.set(
            {
              key,
              value: bytes(`${organizationId}|${key}|${op.range}|c${index}`),
              dataVersion: got.dataVersion,
              rulesetVersion: got.rulesetVersion,
              dataRange,
            },
            options,
          );
        }
      } else if (op.kind === "advance") {
        await client.advanceDataVersion({ dates: op.dates }, options);
      } else if (op.kind === "invalidate") {
        await client.invalidateOrganization({}, options);
      } else {
        await client.advanceRulesetVersion({ rulesetVersion: 0n }, options);
      }
    }),
  );
}
