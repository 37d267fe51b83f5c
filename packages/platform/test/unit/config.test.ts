import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigError,
  configGroup,
  declaredConfigKey,
  env,
  key,
  parseEnv,
  processEnvShape,
  renderConfigTables,
} from "../../src/index.js";

describe("parseEnv", () => {
  const shape = { ...processEnvShape(8080), TRELLIS_CONTEXT_SECRET: env.secret(), TRELLIS_FLAG: env.bool(false) };

  it("applies defaults and coerces values", () => {
    const parsed = parseEnv(shape, { TRELLIS_CONTEXT_SECRET: "k".repeat(32), TRELLIS_PORT: "9000", TRELLIS_FLAG: "1" });
    expect(parsed.TRELLIS_PORT).toBe(9000);
    expect(parsed.TRELLIS_HOST).toBe("127.0.0.1");
    expect(parsed.TRELLIS_FLAG).toBe(true);
    expect(parseEnv(shape, { TRELLIS_CONTEXT_SECRET: "k".repeat(32) }).TRELLIS_FLAG).toBe(false);
  });

  it("names every bad variable in one error, without echoing secrets", () => {
    try {
      parseEnv(shape, { TRELLIS_PORT: "eighty", TRELLIS_LOG_LEVEL: "loud", TRELLIS_CONTEXT_SECRET: "short" });
      expect.unreachable("parseEnv accepted bad input");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect((error as ConfigError).problems).toHaveLength(3);
      expect(message).toContain("TRELLIS_PORT: expected a TCP port number");
      expect(message).toContain("TRELLIS_LOG_LEVEL: expected one of");
      expect(message).toContain(
        'TRELLIS_CONTEXT_SECRET: expected a secret of at least 32 characters (got "<redacted>")',
      );
      expect(message).not.toContain("short");
    }
  });

  it("reports a missing required variable", () => {
    expect(() => parseEnv(shape, {})).toThrow("TRELLIS_CONTEXT_SECRET");
  });
});

describe("configGroup", () => {
  it("refuses a key declared in two groups, or without documentation", () => {
    configGroup("Test group A", { TRELLIS_TEST_ONCE: key(z.string().optional(), "string", "declared once") });
    expect(() =>
      configGroup("Test group B", { TRELLIS_TEST_ONCE: key(z.string().optional(), "string", "declared again") }),
    ).toThrow("TRELLIS_TEST_ONCE is declared twice");
    expect(() =>
      configGroup("Test group A", { TRELLIS_TEST_ONCE: key(z.string().optional(), "string", "declared again") }),
    ).toThrow("TRELLIS_TEST_ONCE is declared twice");
    expect(() => configGroup("Test group A", { TRELLIS_TEST_UNDOCUMENTED: z.string() })).toThrow("no documentation");
  });

  it("documents the shared groups: unit, description and default of each key", () => {
    processEnvShape(8080);
    const declared = declaredConfigKey("TRELLIS_SHUTDOWN_GRACE_MS");
    expect(declared).toMatchObject({ group: "Process", doc: { unit: "ms" } });
    expect(declaredConfigKey("TRELLIS_AUTH_CACHE_SECONDS")?.doc.description).toContain("`0`: never");
    expect(renderConfigTables({ one: processEnvShape(8080), two: processEnvShape(9090) })).toMatch(
      /\| `TRELLIS_PORT` +\| `8080` \(one\); `9090` \(two\) +\| port +\| all /,
    );
  });
});
