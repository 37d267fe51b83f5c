import { ValidationError } from "@trellis/platform";

/** Readers of a JSON request body that name the exact field of anything wrong. */
export type Json = Record<string, unknown>;

export function object(value: unknown, field: string): Json {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw ValidationError.field(field, "must be a JSON object");
  return value as Json;
}

export function only(value: Json, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw ValidationError.field(
        field ? `${field}.${key}` : key,
        `unknown field; expected one of ${allowed.join(", ")}`,
      );
    }
  }
}

export function strings(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string"))
    throw ValidationError.field(field, "must be an array of strings");
  return value as string[];
}

export function whole(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    throw ValidationError.field(field, "must be a whole number of 0 or more");
  return value;
}

export function text(value: unknown, field: string): string {
  if (value === undefined) return "";
  if (typeof value !== "string") throw ValidationError.field(field, "must be a string");
  return value;
}
