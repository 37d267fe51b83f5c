import type { DescEnum } from "@bufbuild/protobuf";
import { clip, echo, ValidationError } from "@trellis/platform";

/** Reads query-string parameters, refusing names a route does not know. */
export function createParams(query: URLSearchParams, known: readonly string[]): QueryParams {
  for (const name of query.keys()) {
    if (!known.includes(name)) {
      throw ValidationError.field(clip(name), `unknown parameter; expected one of ${known.join(", ")}`);
    }
  }
  return new QueryParams(query);
}

/** The parameters of a query string, each read as the type a route expects (a class: nothing is made per request but it). */
export class QueryParams {
  constructor(private readonly query: URLSearchParams) {}

  private one(name: string): string | undefined {
    const all = this.query.getAll(name);
    if (all.length > 1) throw ValidationError.field(name, "given more than once");
    return all[0];
  }

  string(name: string): string {
    return this.one(name) ?? "";
  }

  required(name: string): string {
    const value = this.one(name);
    if (!value) throw ValidationError.field(name, "is required");
    return value;
  }

  /** Comma-separated or repeated: `a,b` and `x=a&x=b` both give ["a", "b"]. */
  list(name: string): string[] {
    return this.query
      .getAll(name)
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter(Boolean);
  }

  uint(name: string): number {
    const value = this.one(name);
    if (value === undefined || value === "") return 0;
    if (!/^\d+$/.test(value)) throw ValidationError.field(name, `expected a whole number, got ${echo(value)}`);
    const n = Number(value);
    if (n > 0xffffffff) throw ValidationError.field(name, "is too large");
    return n;
  }

  bigint(name: string): bigint {
    const value = this.one(name);
    if (value === undefined || value === "") return 0n;
    if (!/^\d+$/.test(value)) throw ValidationError.field(name, `expected a whole number, got ${echo(value)}`);
    // A uint64 on the wire; what a question accepts (often far less) is checked where it is used.
    if (value.length > 20 || BigInt(value) > 0xffffffffffffffffn)
      throw ValidationError.field(name, `is too large, got ${echo(value)}`);
    return BigInt(value);
  }

  /** An enum by its short lowercase name: `group_by=day` for GRANULARITY_DAY. */
  enumValue<E extends number>(name: string, desc: DescEnum): E {
    const value = this.one(name);
    if (value === undefined || value === "") return 0 as E;
    const prefix = desc.sharedPrefix ?? "";
    const match = desc.values.find(
      (v) =>
        v.number !== 0 &&
        (v.localName.toLowerCase() === value.toLowerCase() ||
          v.name === value ||
          v.name === `${prefix}${value.toUpperCase()}`),
    );
    if (!match) {
      const allowed = desc.values.filter((v) => v.number !== 0).map((v) => v.localName.toLowerCase());
      throw ValidationError.field(name, `expected one of ${allowed.join(", ")}, got ${echo(value)}`);
    }
    return match.number as E;
  }
}
