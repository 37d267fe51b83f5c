import { ConfigError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";

const required = {
  TRELLIS_CONTEXT_SECRET: "k".repeat(32),
  TRELLIS_WARDEN_URL: "http://127.0.0.1:8081",
  TRELLIS_QUERY_URL: "http://127.0.0.1:8082",
  TRELLIS_INGEST_URL: "http://127.0.0.1:8084",
};

describe("gateway connection time-outs", () => {
  it("default to 10 s for a request head, 30 s for a body and 65 s idle", () => {
    expect(loadConfig(required).connectionTimeouts).toEqual({ headersMs: 10_000, bodyMs: 30_000, idleMs: 65_000 });
  });

  it("are read from the environment in milliseconds", () => {
    const config = loadConfig({
      ...required,
      TRELLIS_HTTP_HEADERS_TIMEOUT_MS: "250",
      TRELLIS_HTTP_BODY_TIMEOUT_MS: "1500",
      TRELLIS_HTTP_IDLE_TIMEOUT_MS: "2000",
    });
    expect(config.connectionTimeouts).toEqual({ headersMs: 250, bodyMs: 1500, idleMs: 2000 });
  });

  it("refuse zero, fractions, words and more than an hour, naming every bad key", () => {
    try {
      loadConfig({
        ...required,
        TRELLIS_HTTP_HEADERS_TIMEOUT_MS: "0",
        TRELLIS_HTTP_BODY_TIMEOUT_MS: "2.5",
        TRELLIS_HTTP_IDLE_TIMEOUT_MS: "3600001",
      });
      expect.unreachable("loadConfig accepted bad time-outs");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join("\n")).toContain("TRELLIS_HTTP_HEADERS_TIMEOUT_MS: expected a positive number");
      expect(problems.join("\n")).toContain("TRELLIS_HTTP_BODY_TIMEOUT_MS: expected a whole number of milliseconds");
      expect(problems.join("\n")).toContain("TRELLIS_HTTP_IDLE_TIMEOUT_MS: expected at most 3600000");
    }
    expect(() => loadConfig({ ...required, TRELLIS_HTTP_HEADERS_TIMEOUT_MS: "soon" })).toThrow(
      "TRELLIS_HTTP_HEADERS_TIMEOUT_MS",
    );
  });
});
