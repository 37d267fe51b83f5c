import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchRoot } from "./report.js";

export const repoRoot = join(benchRoot, "..");

export interface Started {
  child: ChildProcess;
  url: string;
  apiKey?: string;
  output(): string;
  stop(): Promise<void>;
  /** Peak resident set size of the process so far, in MiB (VmHWM). */
  peakRssMiB(): number;
  /** CPU seconds (user + system) the process has used so far: all threads, and its main (JavaScript) thread. */
  cpuSeconds(): { total: number; mainThread: number };
}

/** utime + stime of a /proc stat line, in seconds (clock ticks of 1/100 s on Linux). */
function cpuOfStat(path: string): number {
  const stat = readFileSync(path, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Node's arguments that start the all-in-one product from a checkout's root, with its telemetry. */
export const PRODUCT_START_ARGS = [
  "--import",
  "tsx",
  "--import",
  "./apps/trellis/src/telemetry.ts",
  "./apps/trellis/src/main.ts",
  "start",
] as const;

/**
 * Node's arguments that start the all-in-one product from a compiled tree (`npm run build`), as
 * the container image runs it: plain JavaScript, no TypeScript loader.
 */
export function compiledStartArgs(tree: string): string[] {
  return [
    "--enable-source-maps",
    "--import",
    join(tree, "apps/trellis/src/telemetry.js"),
    join(tree, "apps/trellis/src/main.js"),
    "start",
  ];
}

let compiledTree: string | undefined;

/**
 * The product compiled once per benchmark process (scripts/build-dist.mjs, its node_modules
 * linked to the checkout's), removed when the process exits.
 */
export function compiledProduct(): string {
  if (compiledTree) return compiledTree;
  const tree = mkdtempSync(join(tmpdir(), "trellis-bench-dist-"));
  process.once("exit", () => rmSync(tree, { recursive: true, force: true }));
  execFileSync(process.execPath, ["scripts/build-dist.mjs", "--out", tree, "--link-node-modules"], {
    cwd: repoRoot,
    stdio: "pipe",
    timeout: 300_000,
  });
  compiledTree = tree;
  return tree;
}

export interface StartOptions {
  /**
   * Run the compiled tree, as the container image does, instead of the sources through tsx as
   * `npm start` does. The loader holds each module's source and transpiled text in every
   * thread that loads it: about 120 MB of the process at rest.
   */
  compiled?: boolean;
}

/**
 * Starts the all-in-one product (`trellis start`) and waits until it listens. BENCH_PRODUCT_NODE_ARGS
 * adds options of Node's to the product's command line, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
 * for a CPU profile of each of its threads under a benchmark's load (written when it stops).
 */
export async function startProduct(env: Record<string, string>, options: StartOptions = {}): Promise<Started> {
  const nodeArgs = (process.env.BENCH_PRODUCT_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const tree = options.compiled ? compiledProduct() : undefined;
  const child = spawn(process.execPath, [...nodeArgs, ...(tree ? compiledStartArgs(tree) : PRODUCT_START_ARGS)], {
    cwd: tree ?? repoRoot,
    env: { ...process.env, TRELLIS_PORT: "0", TRELLIS_LOG_LEVEL: "info", TRELLIS_DEMO_EVENTS: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 120 s:\n${output}`)), 120_000);
    const poll = setInterval(() => {
      const line = output.split("\n").find((l) => l.includes("trellis warehouse listening"));
      if (!line) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    }, 10);
    child.once("exit", (code) => reject(new Error(`trellis start exited ${code}:\n${output}`)));
  });
  await new Promise((r) => setTimeout(r, 50));
  return {
    child,
    url,
    apiKey: /trk_[a-z0-9]+_[a-z0-9]+/.exec(output)?.[0],
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
    cpuSeconds() {
      try {
        return {
          total: cpuOfStat(`/proc/${child.pid}/stat`),
          mainThread: cpuOfStat(`/proc/${child.pid}/task/${child.pid}/stat`),
        };
      } catch {
        return { total: Number.NaN, mainThread: Number.NaN };
      }
    },
    peakRssMiB() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        return kib / 1024;
      } catch {
        return Number.NaN;
      }
    },
  };
}

/** Runs a TypeScript script as its own process (its own embedded engine) and returns its stdout. */
export async function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  if (code !== 0) throw new Error(`${script} exited ${code}`);
  return out;
}
