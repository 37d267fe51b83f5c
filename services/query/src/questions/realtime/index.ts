import { create } from "@bufbuild/protobuf";
import { DateRangeSchema, Freshness } from "@trellis/contracts";
import type { Question } from "../question.js";
import { runRealtime } from "./run.js";

export const realtime: Question<"realtime"> = {
  run: (ctx, request, now) => runRealtime(ctx, request, now),
  freshness: () => Freshness.REALTIME,
  // Today's data, and yesterday's across midnight.
  dataRange: (_request, now) =>
    create(DateRangeSchema, {
      startDate: new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10),
      endDate: now.toISOString().slice(0, 10),
      timeZone: "UTC",
    }),
};
