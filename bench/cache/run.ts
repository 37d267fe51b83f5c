// Cached answers through the REST gateway of the embedded product, all in one run:
//  (a) latency at one connection of the same question uncached (Cache-Control: no-store),
//      repeated (the gateway's hot window), answered from L1 and answered from L2 (Redis; the
//      in-process level held to 1 byte) — the last two with max-age=0, past the hot window;
//  (b) requests/s and errors at 1,000 connections for the cached answer (autocannon), as a
//      plain client gets it and with max-age=0;
//  (c) beside it, the same client and connections against a bare node:http server that
//      returns the same bytes: the limit for any Node gateway on this machine.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon, { type Result } from "autocannon";
import { repoRoot, runScript, type Started, startProduct } from "../lib/processes.js";
import { percentile, progress, report } from "../lib/report.js";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 2_000);
const UNCACHED_SAMPLES = Number(process.env.BENCH_UNCACHED_SAMPLES ?? 200);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const DEMO_EVENTS = process.env.BENCH_EVENTS ?? "200000";
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";

const targets = { l1P50Ms: 2, errors: 0, throughputShare: 0.25 };
const STORE = "ANSWER_SOURCE_STORE";
const L1 = "ANSWER_SOURCE_CACHE_L1";
const L2 = "ANSWER_SOURCE_CACHE_L2";
const HOT = "ANSWER_SOURCE_GATEWAY";

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: Object.fromEntries(
            Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
          ),
          body: Buffer.concat(chunks),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function sourceOf(reply: Reply): string {
  if (reply.status !== 200) throw new Error(`answered ${reply.status}: ${reply.body.toString().slice(0, 300)}`);
  return (JSON.parse(reply.body.toString()) as { meta?: { source?: string } }).meta?.source ?? "";
}

/** One connection, one request at a time: the latency of each answer and where it came from. */
async function sample(url: string, headers: Record<string, string>, count: number, expected: readonly string[]) {
  const latencies: number[] = [];
  const sources: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const reply = await get(url, headers);
    latencies.push(performance.now() - started);
    const source = sourceOf(reply);
    if (!expected.includes(source)) throw new Error(`expected ${expected.join(" or ")}, got ${source} (request ${i})`);
    sources[source] = (sources[source] ?? 0) + 1;
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count, sources };
}

/** A warm-up, then CONNECTIONS connections for DURATION_S seconds, with the server's CPU time. */
async function hammer(url: string, headers: Record<string, string>, pid: number | undefined) {
  await autocannon({ url, connections: Math.min(CONNECTIONS, 100), duration: 2, headers });
  return withCpu(pid, () => autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers, timeout: 10 }));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitFor(child: ChildProcess, output: () => string, marker: RegExp, what: string, timeoutMs = 120_000) {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: nothing within ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    const poll = setInterval(() => {
      const match = marker.exec(output());
      if (!match) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve(match[1] ?? match[0]);
    }, 20);
    child.once("exit", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code}:\n${output()}`));
    });
  });
}

function spawnCollecting(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return { child, output: () => output, stop };
}

async function startRedis(dir: string) {
  const port = await freePort();
  const redis = spawnCollecting(REDIS_SERVER, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ]);
  await waitFor(redis.child, redis.output, /Ready to accept connections/, "redis-server", 10_000);
  return { url: `redis://127.0.0.1:${port}`, stop: redis.stop };
}

/** The embedded product with the cache's Redis level (see product-with-redis.ts). */
async function startProductWithRedis(env: Record<string, string>) {
  const product = spawnCollecting(process.execPath, ["--import", "tsx", "bench/cache/product-with-redis.ts"], {
    TRELLIS_PORT: "0",
    TRELLIS_LOG_LEVEL: "info",
    ...env,
  });
  const line = await waitFor(product.child, product.output, /^.*trellis warehouse listening.*$/m, "product with redis");
  return { url: (JSON.parse(line) as { url: string }).url, stop: product.stop };
}

/** node:http answering every request with the given bytes: what any Node server costs here. */
async function startBareServer(bodyPath: string, contentType: string, busyMs = 0) {
  const script = `
    const { readFileSync } = require("node:fs");
    const { createServer } = require("node:http");
    const body = readFileSync(${JSON.stringify(bodyPath)});
    const headers = { "content-type": ${JSON.stringify(contentType)}, "content-length": body.length };
    const busyMs = ${busyMs};
    const server = createServer((req, res) => {
      for (const started = performance.now(); performance.now() - started < busyMs; );
      res.writeHead(200, headers);
      res.end(body);
    });
    server.keepAliveTimeout = 65000;
    server.listen(0, "127.0.0.1", () => console.log("bare listening " + server.address().port));`;
  const bare = spawnCollecting(process.execPath, ["-e", script]);
  const port = await waitFor(bare.child, bare.output, /bare listening (\d+)/, "bare server", 10_000);
  return { url: `http://127.0.0.1:${port}`, pid: bare.child.pid, stop: bare.stop };
}

/** CPU time a process has used so far (all its threads), in milliseconds. */
function cpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Runs `work` and returns its result with the CPU time `pid` spent meanwhile. */
async function withCpu<T>(pid: number | undefined, work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const before = cpuMs(pid);
  const result = await work();
  return { result, cpuMs: cpuMs(pid) - before };
}

/** Waits (at most 60 s) until the process has used under 5 % of a core for a second: merges after seeding are done. */
async function untilIdle(pid: number | undefined): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const before = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 1_000));
    if (cpuMs(pid) - before < 50) return;
  }
  progress("the product did not go idle within 60 s; measuring anyway");
}

function isoDaysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

const loadAtStart = loadavg().map((l) => Number(l.toFixed(2)));
const dataDir = mkdtempSync(join(tmpdir(), "trellis-bench-cache-"));
const redisDir = mkdtempSync(join(tmpdir(), "trellis-bench-redis-"));
let product: Started | undefined;
try {
  progress(`starting the embedded product and seeding ${DEMO_EVENTS} demo events`);
  // info: the "listening" and "seeded" lines are info; per-request lines are debug.
  product = await startProduct({
    TRELLIS_DATA_DIR: dataDir,
    TRELLIS_DEMO_EVENTS: DEMO_EVENTS,
    TRELLIS_LOG_LEVEL: "info",
  });
  const apiKey = product.apiKey;
  if (!apiKey) throw new Error(`no demo key printed:\n${product.output()}`);
  const started = product;
  await waitFor(started.child, started.output, /demo organization seeded/, "demo seeding", 300_000).catch(
    (error: unknown) =>
      progress(`demo seeding not confirmed, measuring anyway: ${(error as Error).message.split("\n")[0]}`),
  );
  await untilIdle(started.child.pid);
  // A closed historical range (the HISTORICAL freshness, the longest TTL) over the seeded data.
  const path = `/api/v1/analytics/traffic?start_date=${isoDaysAgo(60)}&end_date=${isoDaysAgo(10)}&group_by=day`;
  const url = `${product.url}${path}`;
  const auth = { authorization: `Bearer ${apiKey}` };

  progress(`uncached (Cache-Control: no-store), ${UNCACHED_SAMPLES} requests`);
  await sample(url, { ...auth, "cache-control": "no-store" }, 5, [STORE]);
  const uncached = await sample(url, { ...auth, "cache-control": "no-store" }, UNCACHED_SAMPLES, [STORE]);

  // max-age=0 asks for an answer checked against current versions: the L1 path, past the
  // gateway's hot window. Without it a repeated question is served from the hot window, and
  // once per window from L1 again.
  const l1Headers = { ...auth, "cache-control": "max-age=0" };
  progress(`L1 hits (Cache-Control: max-age=0), ${SAMPLES} requests`);
  const firstSource = sourceOf(await get(url, auth));
  if (firstSource !== STORE && firstSource !== L1) throw new Error(`first cached request came from ${firstSource}`);
  const l1Run = await withCpu(product.child.pid, () => sample(url, l1Headers, SAMPLES, [L1]));
  const l1 = l1Run.result;
  progress(`repeated questions (the gateway's hot window), ${SAMPLES} requests`);
  const hotRun = await withCpu(product.child.pid, () => sample(url, auth, SAMPLES, [HOT, L1]));
  const hot = hotRun.result;

  progress(`${CONNECTIONS} connections for ${DURATION_S} s on the cached answer`);
  const gatewayRun = await hammer(url, auth, product.child.pid);
  const gateway = gatewayRun.result;
  progress(`${CONNECTIONS} connections for ${DURATION_S} s on the cached answer with max-age=0 (L1 path)`);
  const l1LoadRun = await hammer(url, l1Headers, product.child.pid);
  const l1Load = l1LoadRun.result;
  const cachedReply = await get(url, auth);
  const bodyPath = join(dataDir, "cached-answer.json");
  writeFileSync(bodyPath, cachedReply.body);
  const contentType = cachedReply.headers["content-type"] ?? "application/json";
  agent.destroy();
  await product.stop();
  product = undefined;

  progress(`L2 hits (Redis; L1 held to 1 byte), ${SAMPLES} requests`);
  const redis = await startRedis(redisDir);
  let l2: Awaited<ReturnType<typeof sample>>;
  try {
    const withRedis = await startProductWithRedis({
      TRELLIS_DATA_DIR: dataDir,
      TRELLIS_REDIS_URL: redis.url,
      TRELLIS_CACHE_L1_MAX_BYTES: "1",
    });
    try {
      const l2Url = `${withRedis.url}${path}`;
      sourceOf(await get(l2Url, auth));
      l2 = await sample(l2Url, l1Headers, SAMPLES, [L2]);
    } finally {
      agent.destroy();
      await withRedis.stop();
    }
  } finally {
    await redis.stop();
  }

  progress(`${CONNECTIONS} connections for ${DURATION_S} s on a bare node:http server with the same bytes`);
  const bareServer = await startBareServer(bodyPath, contentType);
  let bareRun: { result: Result; cpuMs: number };
  try {
    bareRun = await hammer(bareServer.url, auth, bareServer.pid);
  } finally {
    await bareServer.stop();
  }
  const bare = bareRun.result;

  const gatewayCpuMs = gatewayRun.cpuMs / Math.max(1, gateway.requests.total);
  progress(`the same bare server spending ${gatewayCpuMs.toFixed(2)} ms of CPU per request, as the product does`);
  const busyServer = await startBareServer(bodyPath, contentType, gatewayCpuMs);
  let busyRun: { result: Result; cpuMs: number };
  try {
    busyRun = await hammer(busyServer.url, auth, busyServer.pid);
  } finally {
    await busyServer.stop();
  }
  const busy = busyRun.result;

  progress("layer by layer, in one process");
  const layers = JSON.parse((await runScript("bench/cache/layers.ts", [])).trim().split("\n").at(-1) ?? "{}") as Record<
    string,
    number
  >;

  const rps = (r: Result) => r.requests.total / r.duration;
  const share = rps(gateway) / rps(bare);
  // autocannon counts timeouts among its errors.
  const failures = (r: Result) => r.errors + r.non2xx;
  const perRequest = (run: { result: Result; cpuMs: number }) => run.cpuMs / Math.max(1, run.result.requests.total);
  const rows: Array<Record<string, string | number>> = [
    { case: "uncached (no-store), 1 connection", p50_ms: uncached.p50, p99_ms: uncached.p99, requests: uncached.count },
    {
      case: "hot window (repeated question), 1 connection",
      p50_ms: hot.p50,
      p99_ms: hot.p99,
      requests: hot.count,
      server_cpu_ms_per_req: hotRun.cpuMs / hot.count,
    },
    {
      case: "L1 hit (max-age=0), 1 connection",
      p50_ms: l1.p50,
      p99_ms: l1.p99,
      requests: l1.count,
      server_cpu_ms_per_req: l1Run.cpuMs / l1.count,
    },
    { case: "L2 hit (Redis, max-age=0), 1 connection", p50_ms: l2.p50, p99_ms: l2.p99, requests: l2.count },
    {
      case: `cached answer (hot window), ${CONNECTIONS} connections`,
      p50_ms: gateway.latency.p50,
      p99_ms: gateway.latency.p99,
      requests: gateway.requests.total,
      req_per_s: rps(gateway),
      errors: failures(gateway),
      server_cpu_ms_per_req: perRequest(gatewayRun),
    },
    {
      case: `L1 hit (max-age=0), ${CONNECTIONS} connections`,
      p50_ms: l1Load.latency.p50,
      p99_ms: l1Load.latency.p99,
      requests: l1Load.requests.total,
      req_per_s: rps(l1Load),
      errors: failures(l1Load),
      server_cpu_ms_per_req: perRequest(l1LoadRun),
    },
    {
      case: `bare node:http, ${CONNECTIONS} connections`,
      p50_ms: bare.latency.p50,
      p99_ms: bare.latency.p99,
      requests: bare.requests.total,
      req_per_s: rps(bare),
      errors: failures(bare),
      server_cpu_ms_per_req: perRequest(bareRun),
    },
    {
      case: `bare node:http + ${gatewayCpuMs.toFixed(2)} ms busy, ${CONNECTIONS} connections`,
      p50_ms: busy.latency.p50,
      p99_ms: busy.latency.p99,
      requests: busy.requests.total,
      req_per_s: rps(busy),
      errors: failures(busy),
      server_cpu_ms_per_req: perRequest(busyRun),
    },
  ];
  const verdict = {
    l1P50: `${l1.p50.toFixed(2)} ms (target ≤ ${targets.l1P50Ms} ms): ${l1.p50 <= targets.l1P50Ms ? "met" : "missed"}`,
    errorsAt1000: `${failures(gateway)} (target ${targets.errors}): ${failures(gateway) === targets.errors ? "met" : "missed"}; on the L1 path ${failures(l1Load)}`,
    throughputShare: `${(share * 100).toFixed(1)} % of the bare server (target ≥ ${targets.throughputShare * 100} %): ${share >= targets.throughputShare ? "met" : "missed"}`,
    l1PathShare: `${((rps(l1Load) / rps(bare)) * 100).toFixed(1)} % of the bare server on the L1 path (max-age=0)`,
    hotWindowShare: `${(((hot.sources[HOT] ?? 0) / hot.count) * 100).toFixed(1)} % of repeated questions at one connection answered from the hot window`,
    cpuShare: `the bare server spends ${((perRequest(bareRun) / perRequest(gatewayRun)) * 100).toFixed(1)} % of the product's CPU per request`,
  };
  const context = {
    cpus: cpus().length,
    node: process.version,
    loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((l) => Number(l.toFixed(2))) },
    connections: CONNECTIONS,
    durationSeconds: DURATION_S,
    demoEvents: Number(DEMO_EVENTS),
    path,
    answerBytes: cachedReply.body.length,
    gatewayDetail: { errors: gateway.errors, timeouts: gateway.timeouts, non2xx: gateway.non2xx },
    l1PathDetail: { errors: l1Load.errors, timeouts: l1Load.timeouts, non2xx: l1Load.non2xx },
    hotSources: hot.sources,
    busyBareDetail: { errors: busy.errors, timeouts: busy.timeouts, non2xx: busy.non2xx },
    targets: verdict,
    layersMicroseconds: layers,
  };
  report("cache", rows, context);
  const layerRows: Array<Record<string, string | number>> = [
    { layer: "cache handler, L1 hit (no transport)", cpu_us_per_call: layers.cacheHandlerGetUs ?? Number.NaN },
    {
      layer: "cache Get through its in-process Connect transport",
      cpu_us_per_call: layers.cacheRpcGetUs ?? Number.NaN,
    },
    { layer: "  of which: context token verification", cpu_us_per_call: layers.contextTokenVerifyUs ?? Number.NaN },
    {
      layer: "query Execute answered from L1, through its transport",
      cpu_us_per_call: layers.queryRpcExecuteCachedUs ?? Number.NaN,
    },
    { layer: "  of which: decoding the cached answer", cpu_us_per_call: layers.answerFromBinaryUs ?? Number.NaN },
    {
      layer: "  ExecuteResponse encode + decode (one transport hop)",
      cpu_us_per_call: layers.executeResponseRoundTripUs ?? Number.NaN,
    },
    { layer: "gateway: answer to JSON", cpu_us_per_call: layers.answerToJsonUs ?? Number.NaN },
    { layer: "whole product per L1 hit over HTTP (measured above)", cpu_us_per_call: perRequest(l1LoadRun) * 1000 },
    { layer: "whole product per hot-window answer (measured above)", cpu_us_per_call: perRequest(gatewayRun) * 1000 },
    { layer: "bare node:http per request (measured above)", cpu_us_per_call: perRequest(bareRun) * 1000 },
  ];
  report("cache-layers", layerRows, { answerProtobufBytes: layers.answerProtobufBytes });
  for (const [name, line] of Object.entries(verdict)) process.stdout.write(`${name}: ${line}\n`);
} finally {
  await product?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(redisDir, { recursive: true, force: true });
}
