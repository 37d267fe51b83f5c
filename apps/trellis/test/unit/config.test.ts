import { rmSync } from "node:fs";
import { cacheEnvShape } from "@trellis/cache";
import { discoveryEnvShape } from "@trellis/discovery";
import { gatewayEnvShape, loadGatewayConfig } from "@trellis/gateway";
import { ingestEnvShape } from "@trellis/ingest";
import { ConfigError, declaredConfigKey, peersEnvShape } from "@trellis/platform";
import { queryEnvShape } from "@trellis/query";
import { loadWardenConfig, wardenEnvShape } from "@trellis/warden";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../../test/helpers/names.js";
import { embeddedEnvShape, loadEmbeddedConfig, processEnvShapes } from "../../src/config.js";

const dataDir = tempDir("cli-config");
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const secret = "s".repeat(40);
const gatewayEnv = {
  TRELLIS_CONTEXT_SECRET: secret,
  TRELLIS_WARDEN_URL: "http://127.0.0.1:8081",
  TRELLIS_QUERY_URL: "http://127.0.0.1:8082",
  TRELLIS_INGEST_URL: "http://127.0.0.1:8084",
};
const peers = Object.keys(peersEnvShape);

describe("the all-in-one process's config", () => {
  it("reads every variable a service reads except the peer URLs, and only those and its own (demo)", () => {
    const services = [gatewayEnvShape, wardenEnvShape, queryEnvShape, cacheEnvShape, ingestEnvShape, discoveryEnvShape];
    const read = new Set(services.flatMap((shape) => Object.keys(shape)));
    const expected = [...read].filter((name) => !peers.includes(name)).sort();
    // The BigQuery keys are the query service's too (its read path), so they are among them.
    expect(
      Object.keys(embeddedEnvShape)
        .filter((name) => !name.startsWith("TRELLIS_DEMO"))
        .sort(),
    ).toEqual(expected);
  });

  it("has every key it or a service reads declared in exactly one config group", () => {
    for (const shape of Object.values(processEnvShapes)) {
      for (const name of Object.keys(shape)) expect(declaredConfigKey(name), name).toBeDefined();
    }
  });

  it("gives each service the settings it would read alone, the admin token included", () => {
    const config = loadEmbeddedConfig({
      TRELLIS_DATA_DIR: dataDir,
      TRELLIS_CONTEXT_SECRET: secret,
      TRELLIS_WARDEN_ADMIN_TOKEN: "a".repeat(32),
      TRELLIS_AUTH_CACHE_SECONDS: "5",
      TRELLIS_JWT_ORG_CLAIM: "tenant",
    });
    expect(config.warden).toEqual(
      loadWardenConfig({
        TRELLIS_PORT: "8080",
        TRELLIS_DATA_DIR: dataDir,
        TRELLIS_WARDEN_ADMIN_TOKEN: "a".repeat(32),
        TRELLIS_AUTH_CACHE_SECONDS: "5",
        TRELLIS_JWT_ORG_CLAIM: "tenant",
      }),
    );
    expect(config.warden.adminToken).toBe("a".repeat(32));
    expect(config.gateway).toEqual({
      ...loadGatewayConfig({ ...gatewayEnv, TRELLIS_AUTH_CACHE_SECONDS: "5" }),
      peers: { warden: undefined, query: undefined, ingest: undefined, discovery: undefined },
    });
    expect(config.ingest.ipHashKey).toHaveLength(43);
    expect(config.query.cacheUrl).toBeUndefined();
  });

  it("ignores peer URLs and generates the context secret when unset", () => {
    const config = loadEmbeddedConfig({ TRELLIS_DATA_DIR: dataDir, TRELLIS_CACHE_URL: "not a url" });
    expect(config.gateway.contextSecret.length).toBeGreaterThanOrEqual(32);
    expect(config.cache.contextSecret).toBe(config.gateway.contextSecret);
  });
});

describe("TRELLIS_AUTH_CACHE_SECONDS", () => {
  it("accepts 0 (every request asks Warden) in the gateway, Warden and the all-in-one process alike", () => {
    expect(loadGatewayConfig({ ...gatewayEnv, TRELLIS_AUTH_CACHE_SECONDS: "0" }).authCacheSeconds).toBe(0);
    expect(loadWardenConfig({ TRELLIS_AUTH_CACHE_SECONDS: "0" }).authCacheSeconds).toBe(0);
    const embedded = loadEmbeddedConfig({ TRELLIS_DATA_DIR: dataDir, TRELLIS_AUTH_CACHE_SECONDS: "0" });
    expect(embedded.gateway.authCacheSeconds).toBe(0);
    expect(embedded.warden.authCacheSeconds).toBe(0);
  });

  it("refuses negative and fractional values everywhere", () => {
    for (const value of ["-1", "1.5"]) {
      expect(() => loadGatewayConfig({ ...gatewayEnv, TRELLIS_AUTH_CACHE_SECONDS: value })).toThrow(ConfigError);
      expect(() => loadWardenConfig({ TRELLIS_AUTH_CACHE_SECONDS: value })).toThrow(ConfigError);
      expect(() => loadEmbeddedConfig({ TRELLIS_DATA_DIR: dataDir, TRELLIS_AUTH_CACHE_SECONDS: value })).toThrow(
        "TRELLIS_AUTH_CACHE_SECONDS",
      );
    }
  });
});

/** The problems of the ConfigError `load` throws; none when it throws nothing. */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("a bad all-in-one configuration", () => {
  it("names every bad variable in one error, without echoing secrets", () => {
    const problems = problemsOf(() =>
      loadEmbeddedConfig({
        TRELLIS_DATA_DIR: dataDir,
        TRELLIS_PORT: "eighty",
        TRELLIS_REDIS_BREAKER_FAILURES: "21",
        TRELLIS_INGEST_BUFFER_ROWS: "0",
        TRELLIS_WARDEN_ADMIN_TOKEN: "short",
        TRELLIS_DEMO: "maybe",
      }),
    );
    expect(problems.map((problem) => problem.split(":")[0]).sort()).toEqual([
      "TRELLIS_DEMO",
      "TRELLIS_INGEST_BUFFER_ROWS",
      "TRELLIS_PORT",
      "TRELLIS_REDIS_BREAKER_FAILURES",
      "TRELLIS_WARDEN_ADMIN_TOKEN",
    ]);
    expect(problems.join("\n")).not.toContain("short");
  });
});
