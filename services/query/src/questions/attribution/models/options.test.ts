import { describe, expect, it } from "vitest";
import { path } from "./fixtures.js";
import { computeModels, defaultModelOptions, type ModelName, resolveOptions } from "./index.js";

const paths = [path("a>b>c")];

describe("model options", () => {
  it("fill in the defaults", () => {
    expect(resolveOptions()).toEqual(defaultModelOptions);
    expect(resolveOptions({ markovOrder: 3, fraudWeighting: undefined })).toMatchObject({
      markovOrder: 3,
      fraudWeighting: false,
    });
  });

  it.each([
    [{ positionFirstWeight: -0.1 }, /positionFirstWeight/],
    [{ positionLastWeight: Number.NaN }, /positionLastWeight/],
    [{ positionFirstWeight: 0.6, positionLastWeight: 0.5 }, /at most 1/],
    [{ markovOrder: 0 }, /markovOrder/],
    [{ markovOrder: 5 }, /markovOrder/],
    [{ markovOrder: 1.5 }, /markovOrder/],
  ])("reject %o with a RangeError", (options, message) => {
    expect(() => computeModels(paths, ["linear"], options)).toThrow(RangeError);
    expect(() => computeModels(paths, ["linear"], options)).toThrow(message);
  });

  it("reject unknown models", () => {
    expect(() => computeModels(paths, ["u_shaped" as ModelName])).toThrow(RangeError);
  });

  it("reject malformed paths", () => {
    expect(() => computeModels([{ ...path("a>b"), direct: [false] }], ["linear"])).toThrow(/direct/);
    expect(() => computeModels([{ ...path("a"), keys: [], direct: [] }], ["linear"])).toThrow(/keys/);
    expect(() => computeModels([path("a", 1, -5)], ["linear"])).toThrow(/revenue/);
    expect(() => computeModels([path("a", 0, 5, 1)], ["linear"])).toThrow(/no conversions/);
    expect(() => computeModels([{ ...path("a"), decay: [1, 2] }], ["linear"])).toThrow(/decay/);
  });
});
