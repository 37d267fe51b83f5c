import { isUtf8 } from "node:buffer";
import { clip, ValidationError } from "@trellis/platform";

/** Readers of a JSON request body that name the exact field of anything wrong. */
export type Json = Record<string, unknown>;

/**
 * A request body as text. Bytes that are not UTF-8 are refused, naming the body: decoding
 * them would store U+FFFD in their place, a value the caller never sent.
 */
export function bodyText(raw: Buffer): string {
  if (!isUtf8(raw)) throw ValidationError.field("body", "is not valid UTF-8");
  return raw.toString("utf8");
}

/** JSON.parse, its complaint bounded (it may quote the body) and naming the body. */
export function parseJsonText(text: string, field = "body"): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw ValidationError.field(field, `is not valid JSON: ${clip((error as Error).message, 200)}`);
  }
}

export function object(value: unknown, field: string): Json {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw ValidationError.field(field, "must be a JSON object");
  return value as Json;
}

export function only(value: Json, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw ValidationError.field(
        field ? `${field}.${clip(key)}` : clip(key),
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
