import { afterEach, describe, expect, it } from "vitest";
import { type MetricsEndpoint, startMetricsEndpoint } from "../../src/metrics-endpoint.js";
import { type RunningServer, startServer } from "../../src/server.js";

let server: RunningServer | undefined;
let metrics: MetricsEndpoint | undefined;
afterEach(async () => {
  await metrics?.close();
  await server?.close(0);
  metrics = undefined;
  server = undefined;
});

/** The gauge's value for the service, read from the endpoint's Prometheus text. */
async function inFlight(url: string): Promise<number> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  expect(text).toContain("# TYPE trellis_requests_in_flight gauge\n");
  const value = /^trellis_requests_in_flight\{service="query"\} (\d+)$/m.exec(text)?.[1];
  if (value === undefined) throw new Error(`no gauge in ${text}`);
  return Number(value);
}

describe("the metrics endpoint", () => {
  it("reports the requests in flight on the service's port, as a Prometheus gauge", async () => {
    const waiting: Array<() => void> = [];
    server = await startServer({
      host: "127.0.0.1",
      port: 0,
      http1: true,
      listener: (_req, res) => {
        waiting.push(() => res.end("done"));
      },
    });
    const running = server;
    metrics = await startMetricsEndpoint({
      host: "127.0.0.1",
      port: 0,
      service: "query",
      inFlight: () => running.inFlight(),
    });
    expect(await inFlight(metrics.url)).toBe(0);

    const answers = [fetch(`${server.url}/a`), fetch(`${server.url}/b`)];
    while (waiting.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await inFlight(metrics.url)).toBe(2);

    for (const release of waiting.splice(0)) release();
    await Promise.all(answers.map(async (a) => (await a).text()));
    expect(await inFlight(metrics.url)).toBe(0);
  });

  it("serves only GET /metrics", async () => {
    metrics = await startMetricsEndpoint({ host: "127.0.0.1", port: 0, service: "query", inFlight: () => 0 });
    const root = metrics.url.replace(/\/metrics$/, "");
    expect((await fetch(`${root}/`)).status).toBe(404);
    const post = await fetch(metrics.url, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
