// Two all-in-one processes, each with its own embedded engine and the same organization seeded
// identically, sharing one real redis-server for the cache's second level and its versions.
// Storage shared between them is played by the test: an event (or a campaign ruleset) is
// written into B's engine directly, as a shared ClickHouse would have it, and ingested (or
// created) through A's API. B must stop serving its cached answer within the documented bound —
// the cache service's versions max age plus the gateway's hot window (services/cache/README.md,
// "Staleness bound") — and the test reports how long B went on answering without it.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../services/cache/test/helpers/redis-servers.js";
import { dailyTraffic } from "../helpers/events.js";
import { exitCode, repoRoot } from "../helpers/processes.js";
import type { ChildReply, ChildRequest, RulesetRow } from "../helpers/warehouse-child.js";

const ORG = "shared-org";
const VERSIONS_MAX_AGE_MS = 500;
const HOT_ANSWER_MS = 250;
/** The documented bound: a sync of the versions, and the hot window that may hide it. */
const BOUND_MS = VERSIONS_MAX_AGE_MS + HOT_ANSWER_MS;

interface Instance {
  name: string;
  child: ChildProcess;
  url: string;
  key: string;
  /** Sends one request to the child and resolves with its rows (if it answers any). */
  ask(request: DistributiveOmit<ChildRequest, "id">): Promise<RulesetRow[] | undefined>;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

let redis: RedisServer;
const instances: Instance[] = [];

async function startInstance(name: string): Promise<Instance> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/warehouse-child.ts"], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      TEST_ORGANIZATIONS: ORG,
      TRELLIS_REDIS_URL: redis.url,
      TRELLIS_CACHE_VERSIONS_MAX_AGE_MS: String(VERSIONS_MAX_AGE_MS),
      TRELLIS_GATEWAY_HOT_ANSWER_MS: String(HOT_ANSWER_MS),
      TRELLIS_INGEST_FLUSH_MS: "20",
      TRELLIS_INGEST_WORKERS: "0",
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const waiting = new Map<number, { resolve: (rows?: RulesetRow[]) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const ready = await new Promise<{ url: string; keys: Record<string, string> }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
    child.on("message", (reply: ChildReply) => {
      if ("ready" in reply) resolve(reply.ready);
      else if ("done" in reply) waiting.get(reply.done)?.resolve(reply.rows);
      else waiting.get(reply.failed)?.reject(new Error(reply.error));
    });
  });
  return {
    name,
    child,
    url: ready.url,
    key: ready.keys[ORG] ?? "",
    ask(request) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ ...request, id } as ChildRequest);
      });
    },
  };
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const trafficPath = `/api/v1/analytics/traffic?start_date=${day(-30)}&end_date=${day(1)}&group_by=day`;
const campaignsPath = `/api/v1/analytics/campaigns?start_date=${day(-30)}&end_date=${day(1)}`;

async function events(instance: Instance): Promise<{ events: number; source: string }> {
  const response = await fetch(`${instance.url}${trafficPath}`, {
    headers: { authorization: `Bearer ${instance.key}` },
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { totals: { events: string }; meta: { source: string } };
  return { events: Number(body.totals.events), source: body.meta.source };
}

beforeAll(async () => {
  redis = await startRedisServer();
  instances.push(...(await Promise.all([startInstance("A"), startInstance("B")])));
  const seed = dailyTraffic(ORG, day(-5), 5, 12).map((s) => ({ ...s, time: s.time.toISOString() }));
  for (const instance of instances) await instance.ask({ op: "insert", specs: seed });
}, 180_000);

afterAll(async () => {
  for (const { child } of instances) {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exitCode(child);
    }
  }
  await redis?.stop();
});

/**
 * Asks `read` again and again from `since` until `fresh` holds, for at most ten times the bound:
 * how long after `since` B still started requests that were answered stale, the longest request
 * (an answer computed from stale versions is served by the hot window from when it is
 * rendered, so the bound holds from the end of the request that computed it), and the last answer.
 */
async function staleness<T>(since: number, read: () => Promise<T>, fresh: (answer: T) => boolean) {
  let lastStaleStart = since;
  let longestRequestMs = 0;
  const timed = async () => {
    const started = performance.now();
    const answer = await read();
    longestRequestMs = Math.max(longestRequestMs, performance.now() - started);
    return { started, answer };
  };
  let { answer } = await timed();
  while (!fresh(answer) && performance.now() - since < 10 * BOUND_MS) {
    await new Promise((r) => setTimeout(r, 10));
    const next = await timed();
    if (!fresh(next.answer)) lastStaleStart = next.started;
    answer = next.answer;
  }
  return { staleForMs: lastStaleStart - since, longestRequestMs, answer };
}

function report(what: string, staleForMs: number, longestRequestMs: number): void {
  process.stdout.write(
    `B answered without ${what} up to ${staleForMs.toFixed(0)} ms after A acknowledged it ` +
      `(documented bound ${BOUND_MS} ms after the longest request, ${longestRequestMs.toFixed(0)} ms)\n`,
  );
}

describe("two instances, one Redis", () => {
  it("an ingest through A makes B's cached answer stale within the documented bound", async () => {
    const [a, b] = instances as [Instance, Instance];
    expect((await events(b)).events).toBe(60);
    expect((await events(a)).events).toBe(60);
    // B's answer is now cached; the event arrives in B's engine without any advance there…
    const time = new Date(Date.now() - 60_000).toISOString();
    const late = { organizationId: ORG, time, type: "click" as const, visitorId: "v-new", sessionId: "s-new" };
    await b.ask({ op: "insert", specs: [{ ...late, columns: { event_id: "late-1" } }] });
    const cached = await events(b);
    expect(cached).toMatchObject({ events: 60 });
    expect(cached.source).not.toBe("ANSWER_SOURCE_STORE");

    // …and through A's ingest API, which advances the organization's data version in Redis.
    const ingested = await fetch(`${a.url}/api/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.key}`, "content-type": "application/json" },
      body: JSON.stringify([
        {
          event_id: "late-1",
          type: "EVENT_TYPE_CLICK",
          time,
          url: "https://shop.example/?utm_source=newsletter",
          ip: "81.2.69.142",
          visitor_id: "v-new",
          session_id: "s-new",
        },
      ]),
    });
    expect(ingested.status).toBe(200);
    // A request B started past the bound must see the event; one started before may not.
    const { staleForMs, longestRequestMs, answer } = await staleness(
      performance.now(),
      () => events(b),
      (e) => e.events === 61,
    );
    report("A's ingest", staleForMs, longestRequestMs);
    expect(answer.events).toBe(61);
    expect((await events(a)).events).toBe(61);
    expect(staleForMs).toBeLessThanOrEqual(BOUND_MS + longestRequestMs);
  });

  it("a campaign created through A reaches B's campaign answers within the documented bound", async () => {
    const [a, b] = instances as [Instance, Instance];
    const campaignIds = async (instance: Instance) => {
      const response = await fetch(`${instance.url}${campaignsPath}`, {
        headers: { authorization: `Bearer ${instance.key}` },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { rows: Array<{ campaign_id: string }> }).rows.map((r) => r.campaign_id);
    };
    expect(await campaignIds(b)).toEqual([]);
    expect(await campaignIds(b)).toEqual([]);

    const created = await fetch(`${a.url}/api/v1/campaigns`, {
      method: "POST",
      headers: { authorization: `Bearer ${a.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "Search",
        rules: [{ conditions: [{ field: "source", operator: "equals", value: "google" }] }],
      }),
    });
    expect(created.status).toBe(200);
    const { campaign } = (await created.json()) as { campaign: { id: string } };
    // The ruleset A wrote reaches B's engine as a shared ClickHouse would have it.
    const rulesets = await a.ask({ op: "rulesets", organizationId: ORG });
    expect(rulesets).toHaveLength(1);
    await b.ask({ op: "insertRulesets", rows: rulesets ?? [] });

    const { staleForMs, longestRequestMs, answer } = await staleness(
      performance.now(),
      () => campaignIds(b),
      (ids) => ids.includes(campaign.id),
    );
    report("A's campaign", staleForMs, longestRequestMs);
    expect(answer).toEqual([campaign.id]);
    expect(await campaignIds(a)).toEqual([campaign.id]);
    expect(staleForMs).toBeLessThanOrEqual(BOUND_MS + longestRequestMs);
  });
});
