import { create } from "@bufbuild/protobuf";
import { AnswerSource, GetTrafficResponseSchema, ResultMetaSchema } from "@trellis/contracts";
import { linkSharedCopy } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { renderAnswerJson } from "../../src/rest/render.js";

const answer = (meta: { rowsRead?: bigint; bytesRead?: bigint }) =>
  create(GetTrafficResponseSchema, {
    points: [],
    meta: create(ResultMetaSchema, { source: AnswerSource.STORE, table: "analytics_events", elapsedMs: 2.5, ...meta }),
  });

describe("REST answers' meta", () => {
  it("leaves out rows_read and bytes_read that no one measured, rather than saying 0", () => {
    const unmeasured = answer({});
    for (const message of [unmeasured, linkSharedCopy({ ...unmeasured }, unmeasured)]) {
      const meta = (JSON.parse(renderAnswerJson(GetTrafficResponseSchema, message)) as { meta: object }).meta;
      expect(meta).toMatchObject({ source: "ANSWER_SOURCE_STORE", table: "analytics_events", elapsed_ms: 2.5 });
      expect(meta).not.toHaveProperty("rows_read");
      expect(meta).not.toHaveProperty("bytes_read");
    }
  });

  it("keeps them when a producer measured them, and the answer's other defaults as before", () => {
    const json = JSON.parse(renderAnswerJson(GetTrafficResponseSchema, answer({ rowsRead: 12n, bytesRead: 340n })));
    expect(json.meta).toMatchObject({ rows_read: "12", bytes_read: "340" });
    expect(json.points).toEqual([]);
  });
});
