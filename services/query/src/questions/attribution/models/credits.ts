import type { KeyCredit, ModelName, ModelResult } from "./types.js";

/** Per-key credit columns, indexed by key index. */
export class CreditTable {
  readonly conversions: Float64Array;
  readonly revenue: Float64Array;
  readonly removedConversions: Float64Array;
  readonly removedRevenue: Float64Array;

  constructor(keyCount: number) {
    this.conversions = new Float64Array(keyCount);
    this.revenue = new Float64Array(keyCount);
    this.removedConversions = new Float64Array(keyCount);
    this.removedRevenue = new Float64Array(keyCount);
  }

  add(key: number, conversions: number, revenue: number, removedConversions = 0, removedRevenue = 0): void {
    this.conversions[key] = (this.conversions[key] as number) + conversions;
    this.revenue[key] = (this.revenue[key] as number) + revenue;
    this.removedConversions[key] = (this.removedConversions[key] as number) + removedConversions;
    this.removedRevenue[key] = (this.removedRevenue[key] as number) + removedRevenue;
  }
}

export function toModelResult(model: ModelName, keys: readonly string[], table: CreditTable): ModelResult {
  const credits: KeyCredit[] = [];
  keys.forEach((key, i) => {
    const credit: KeyCredit = {
      key,
      conversions: table.conversions[i] as number,
      revenue: table.revenue[i] as number,
      fraudRemovedConversions: table.removedConversions[i] as number,
      fraudRemovedRevenue: table.removedRevenue[i] as number,
    };
    if (hasCredit(credit)) credits.push(credit);
  });
  credits.sort(byConversionsThenKey);
  return { model, credits };
}

function hasCredit(credit: KeyCredit): boolean {
  return (
    credit.conversions !== 0 ||
    credit.revenue !== 0 ||
    credit.fraudRemovedConversions !== 0 ||
    credit.fraudRemovedRevenue !== 0
  );
}

function byConversionsThenKey(a: KeyCredit, b: KeyCredit): number {
  if (a.conversions !== b.conversions) return b.conversions - a.conversions;
  if (a.key === b.key) return 0;
  return a.key < b.key ? -1 : 1;
}
