import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";
const REDIS_CLI = process.env.REDIS_CLI_BIN ?? "/usr/bin/redis-cli";
const SHARED_PORT = 6379;
const run = promisify(execFile);

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Runs redis-cli against this server and returns its output. */
  cli(...args: string[]): Promise<string>;
  /** SIGSTOP: the process keeps its sockets open and answers nothing. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** SIGKILL, waiting for the process to be gone. */
  kill(): Promise<void>;
  /** A fresh server on the same port (after kill()). */
  restart(): Promise<void>;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) {
    try {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port, never the shared server's. Cluster nodes also need port + 10000
 * (the cluster bus), so they are drawn below the ephemeral range.
 */
export async function freePort(withBus = false): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (port === SHARED_PORT) continue;
    if (!(await portIsFree(port))) continue;
    if (withBus && !(await portIsFree(port + 10_000))) continue;
    return port;
  }
  throw new Error("no free loopback port found");
}

function spawnServer(port: number, dir: string, cluster: boolean): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  if (cluster) {
    args.push("--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`));
    args.push("--cluster-node-timeout", "2000");
  }
  const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} did not start:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}:\n${output}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A redis-server of its own on a free loopback port; nothing persists. */
export async function startRedisServer(options: { cluster?: boolean; port?: number } = {}): Promise<RedisServer> {
  const cluster = options.cluster ?? false;
  let port = options.port ?? (await freePort(cluster));
  let dir = mkdtempSync(join(tmpdir(), `trellis-redis-${port}-`));
  let child: ChildProcess;
  for (let attempt = 1; ; attempt++) {
    try {
      child = await spawnServer(port, dir, cluster);
      break;
    } catch (error) {
      // Another process may have taken the port between the check and the start.
      rmSync(dir, { recursive: true, force: true });
      if (options.port !== undefined || attempt >= 3) throw error;
      port = await freePort(cluster);
      dir = mkdtempSync(join(tmpdir(), `trellis-redis-${port}-`));
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid ?? -1;
    },
    async cli(...args: string[]) {
      const { stdout } = await run(REDIS_CLI, ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 10_000 });
      return stdout;
    },
    freeze() {
      child.kill("SIGSTOP");
    },
    thaw() {
      child.kill("SIGCONT");
    },
    async kill() {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await exited(child);
    },
    async restart() {
      child = await spawnServer(port, dir, cluster);
    },
    async stop() {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  readonly nodes: RedisServer[];
  /** host:port,host:port as TRELLIS_REDIS_CLUSTER_NODES takes it. */
  readonly seeds: Array<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/** A Redis Cluster of `masters` masters and no replicas, every slot assigned and the cluster ok. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < masters; i++) nodes.push(await startRedisServer({ cluster: true }));
    await run(
      REDIS_CLI,
      ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"],
      { timeout: 30_000 },
    );
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      for (;;) {
        const info = await node.cli("cluster", "info");
        if (info.includes("cluster_state:ok")) break;
        if (Date.now() > deadline) throw new Error(`cluster not ok on ${node.port}:\n${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  return {
    nodes,
    seeds: nodes.map((n) => ({ host: "127.0.0.1", port: n.port })),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
