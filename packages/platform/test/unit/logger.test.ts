import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { OrgContextSchema } from "@trellis/contracts";
import { describe, expect, it } from "vitest";
import { repeatedKeys } from "../../../../test/helpers/log-lines.js";
import { createLogger, type LogFormat, resolveLogFormat, runWithOrgContext } from "../../src/index.js";

/** A destination that keeps what was written, optionally claiming to be a terminal. */
function capture(terminal = false) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  Object.assign(stream, { isTTY: terminal });
  return { stream, lines: () => chunks.join("").split("\n").filter(Boolean) };
}

describe("log lines", () => {
  it("the key check sees a repeat that JSON.parse hides", () => {
    expect(repeatedKeys('{"service":"trellis","service":"ingest","msg":"a \\"service\\":"}')).toEqual(["service"]);
    expect(repeatedKeys('{"a":{"b":1,"b":2},"c":"x"}')).toEqual([]);
  });

  it("never carry a key twice, in a component's lines inside an organization's request", () => {
    const out = capture();
    const logger = createLogger({ service: "trellis", format: "json", destination: out.stream });
    const ingest = logger.child({ component: "ingest" });
    const context = create(OrgContextSchema, { organizationId: "acme", principal: "key:k" });
    runWithOrgContext({ context, token: "t" }, () => ingest.info({ rows: 3 }, "flushed"));

    const [first] = out.lines();
    expect(first && repeatedKeys(first)).toEqual([]);
    expect(JSON.parse(first ?? "")).toMatchObject({
      level: "info",
      service: "trellis",
      component: "ingest",
      organization_id: "acme",
      rows: 3,
      msg: "flushed",
    });
  });

  it("are readable on request: time, level, service/component, organization, message, then key=value", () => {
    const out = capture();
    const logger = createLogger({ service: "trellis", format: "pretty", destination: out.stream });
    const context = create(OrgContextSchema, { organizationId: "acme", principal: "key:k" });
    runWithOrgContext({ context, token: "t" }, () =>
      logger.child({ component: "query" }).warn({ rpc: "a.B/C", duration_ms: 12.5, reason: "too slow" }, "slow"),
    );
    logger.error({ err: new Error("boom") }, "failed");

    const [line, error, stack] = out.lines();
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: trellis\/query org=acme slow rpc=a\.B\/C duration_ms=12\.5 reason="too slow"$/,
    );
    expect(error).toMatch(/ERROR: trellis failed err=boom$/);
    expect(stack).toContain("Error: boom");
  });

  it("are JSON unless on a terminal outside a container, or as configured", () => {
    const cases: [LogFormat, boolean, boolean, string][] = [
      ["auto", true, false, "pretty"],
      ["auto", false, false, "json"],
      ["auto", true, true, "json"],
      ["json", true, false, "json"],
      ["pretty", false, true, "pretty"],
    ];
    for (const [format, terminal, container, expected] of cases) {
      expect(resolveLogFormat(format, { terminal, container }), `${format} ${terminal} ${container}`).toBe(expected);
    }
  });

  it("auto writes JSON to a destination that is not a terminal", () => {
    const out = capture(false);
    createLogger({ service: "s", destination: out.stream }).info("hello");
    expect(JSON.parse(out.lines()[0] ?? "")).toMatchObject({ service: "s", msg: "hello" });
  });
});
