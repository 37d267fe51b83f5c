import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventSpec } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;

/** A webhook receiver on a loopback port: records what it gets and answers with the next status of `answers`. */
function startReceiver(answers: number[]) {
  const received: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  return new Promise<{ url: string; received: typeof received; close(): Promise<void> }>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/hooks/trellis`,
        received,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

async function call(method: string, path: string, body?: unknown, key: string | undefined = warehouse.keys.acme) {
  const response = await fetch(`${warehouse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function until<T>(what: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Delivery {
  id: string;
  run_id: string;
  attempt: number;
  status: number;
  outcome: string;
  error: string;
}

const deliveries = async (key: string | undefined) =>
  (await call("GET", "/api/v1/discovery/webhook/deliveries", undefined, key)).body.deliveries as Delivery[];

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex"],
    env: {
      // The receivers of these tests listen on loopback ports.
      TRELLIS_DISCOVERY_WEBHOOK_ALLOW_LOOPBACK: "true",
      TRELLIS_DISCOVERY_SCHEDULE_TICK_MS: "200",
      TRELLIS_DISCOVERY_WEBHOOK_ATTEMPTS: "3",
      TRELLIS_DISCOVERY_WEBHOOK_BACKOFF_MS: "50",
    },
  });
  // An address clicking 25 times an hour ago, in each organization.
  const clicks: EventSpec[] = [];
  for (const [org, ip] of [
    ["acme", "111"],
    ["globex", "222"],
  ] as const)
    for (let i = 0; i < 25; i++) {
      const id = `${org}-${i}`;
      clicks.push({
        organizationId: org,
        time: new Date(Date.now() - 3_600_000 + i * 1000),
        type: "click",
        visitorId: id,
        sessionId: id,
        columns: { ip_hash: ip, source: "google" },
      });
    }
  await warehouse.insertEvents(clicks);
});

afterAll(async () => {
  await warehouse?.close();
});

describe("schedules and webhooks", () => {
  it("runs a schedule, stores the run and announces it signed, retrying a failed delivery", async () => {
    const receiver = await startReceiver([500, 200]);
    try {
      const hook = await call("PUT", "/api/v1/discovery/webhook", { url: receiver.url });
      expect(hook.status).toBe(200);
      const secret = hook.body.secret as string;
      expect(secret).toMatch(/^whsec_/);

      const put = await call("POST", "/api/v1/discovery/schedules", { kind: "fraud", every: "day", lookback_days: 2 });
      expect(put.status).toBe(200);
      const scheduleId = (put.body.schedule as { id: string }).id;

      const log = await until(async () => {
        const list = await deliveries(warehouse.keys.acme);
        return list.some((d) => d.outcome === "delivered") ? list : undefined;
      });
      expect(log.map((d) => [d.attempt, d.status, d.outcome])).toEqual([
        [2, 200, "delivered"],
        [1, 500, "retrying"],
      ]);
      expect(new Set(log.map((d) => d.id)).size).toBe(1);

      // Both attempts carried the same body, signed with the webhook's secret over "<t>.<body>".
      expect(receiver.received).toHaveLength(2);
      for (const { headers, body } of receiver.received) {
        const [t, v1] = String(headers["x-trellis-signature"]).split(",");
        const timestamp = t?.replace("t=", "") ?? "";
        expect(v1).toBe(`v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`);
        expect(headers["x-trellis-delivery"]).toBe(log[0]?.id);
      }
      const announced = JSON.parse(receiver.received[0]?.body ?? "{}") as {
        type: string;
        organization_id: string;
        schedule_id: string;
        run_id: string;
        result: { patterns: Array<{ kind: string; dimensions: Record<string, string> }> };
      };
      expect(announced).toMatchObject({ type: "discovery.fraud", organization_id: "acme", schedule_id: scheduleId });
      expect(announced.result.patterns).toContainEqual(
        expect.objectContaining({ kind: "ip_velocity", dimensions: expect.objectContaining({ ip_hash: "111" }) }),
      );
      expect(JSON.stringify(announced)).not.toContain('"222"');

      // The run is stored like any other, marked as the schedule's; the schedule moved on a day.
      const runs = await call("GET", "/api/v1/discovery/runs?kind=fraud");
      expect(runs.body.runs).toEqual([
        expect.objectContaining({ id: announced.run_id, trigger: `schedule:${scheduleId}` }),
      ]);
      const schedules = (await call("GET", "/api/v1/discovery/schedules")).body.schedules as Array<{
        id: string;
        last_run_id: string;
        next_run_at: string;
        last_run_at: string;
      }>;
      expect(schedules).toHaveLength(1);
      expect(schedules[0]).toMatchObject({ id: scheduleId, last_run_id: announced.run_id });
      expect(Date.parse(schedules[0]?.next_run_at ?? "") - Date.parse(schedules[0]?.last_run_at ?? "")).toBe(
        86_400_000,
      );

      expect((await call("DELETE", `/api/v1/discovery/schedules/${scheduleId}`)).status).toBe(200);
      expect((await call("GET", "/api/v1/discovery/schedules")).body.schedules).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it("logs every attempt to a receiver that is down, then gives up; other organizations see none of it", async () => {
    const down = await startReceiver([]);
    await down.close(); // nothing listens on its port any more
    const key = warehouse.keys.globex;
    expect((await call("PUT", "/api/v1/discovery/webhook", { url: down.url }, key)).status).toBe(200);
    expect((await call("POST", "/api/v1/discovery/schedules", { kind: "fraud", every: "hour" }, key)).status).toBe(200);
    const log = await until(async () => {
      const list = await deliveries(key);
      return list.some((d) => d.outcome === "failed") ? list : undefined;
    });
    expect(log.map((d) => [d.attempt, d.status, d.outcome])).toEqual([
      [3, 0, "failed"],
      [2, 0, "retrying"],
      [1, 0, "retrying"],
    ]);
    expect(log.every((d) => d.error !== "")).toBe(true);
    // acme's log holds only its own deliveries.
    expect((await deliveries(warehouse.keys.acme)).every((d) => d.outcome !== "failed")).toBe(true);
  });

  it("answers bad schedules and webhook URLs with 400 naming the field", async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ["POST", "/api/v1/discovery/schedules", { kind: "weekly_report", every: "day" }, "schedule.kind"],
      ["POST", "/api/v1/discovery/schedules", { kind: "fraud", every: "minute" }, "schedule.every"],
      [
        "POST",
        "/api/v1/discovery/schedules",
        { kind: "fraud", every: "day", lookback_days: 400 },
        "schedule.lookback_days",
      ],
      ["POST", "/api/v1/discovery/schedules", { kind: "anomalies", every: "day", metric: "joy" }, "schedule.metric"],
      ["POST", "/api/v1/discovery/schedules", { kind: "fraud", every: "day", colour: "red" }, "colour"],
      ["PUT", "/api/v1/discovery/webhook", { url: "ftp://example.com/x" }, "url"],
      ["PUT", "/api/v1/discovery/webhook", { url: "http://example.com/hook" }, "url"],
      ["PUT", "/api/v1/discovery/webhook", { url: "not a url" }, "url"],
      // Private and link-local addresses stay out of reach even over HTTPS.
      ["PUT", "/api/v1/discovery/webhook", { url: "https://10.1.2.3/hook" }, "url"],
      ["PUT", "/api/v1/discovery/webhook", { url: "https://169.254.169.254/latest/meta-data" }, "url"],
      ["PUT", "/api/v1/discovery/webhook", { url: "https://[fd00::1]/hook" }, "url"],
    ];
    for (const [method, path, body, field] of cases) {
      const { status, body: answer } = await call(method, path, body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect((answer.error as { violations: Array<{ field: string }> }).violations[0]?.field).toBe(field);
    }
  });
});
