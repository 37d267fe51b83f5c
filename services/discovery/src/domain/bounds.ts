import { ValidationError } from "@trellis/platform";

/** A whole-number request field within [min, max]; `fallback` when left at 0 (unset). */
export function boundedInteger(
  value: number | bigint,
  field: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const n = Number(value);
  if (n === 0) return fallback;
  if (!Number.isInteger(n) || n < min || n > max)
    throw ValidationError.field(field, `must be between ${min} and ${max}`);
  return n;
}

/** A decimal request field within [min, max]; `fallback` when left at 0 (unset). */
export function boundedNumber(value: number, field: string, min: number, max: number, fallback: number): number {
  if (value === 0) return fallback;
  if (!Number.isFinite(value) || value < min || value > max)
    throw ValidationError.field(field, `must be between ${min} and ${max}`);
  return value;
}
