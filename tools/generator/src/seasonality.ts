/**
 * Daily and weekly rhythm of human traffic in the site's local time. Consumer sites peak in
 * the evening and keep their weekends; business sites follow office hours and drop on
 * weekends.
 */
export type Rhythm = "consumer" | "business";

// Relative traffic by local hour, 00:00 to 23:00.
const HOURLY: Record<Rhythm, readonly number[]> = {
  consumer: [
    0.42, 0.28, 0.2, 0.16, 0.15, 0.2, 0.34, 0.58, 0.82, 0.98, 1.08, 1.14, 1.2, 1.18, 1.12, 1.1, 1.12, 1.18, 1.3, 1.45,
    1.55, 1.48, 1.15, 0.75,
  ],
  business: [
    0.18, 0.12, 0.1, 0.09, 0.1, 0.16, 0.32, 0.72, 1.32, 1.72, 1.82, 1.72, 1.5, 1.62, 1.7, 1.6, 1.4, 1.08, 0.8, 0.68,
    0.6, 0.5, 0.38, 0.26,
  ],
};

// Monday to Sunday.
const DAILY: Record<Rhythm, readonly number[]> = {
  consumer: [1.0, 1.0, 0.98, 0.98, 0.94, 0.92, 1.08],
  business: [1.18, 1.22, 1.2, 1.16, 1.0, 0.58, 0.62],
};

const HOUR = 3_600_000;
// 1970-01-01 was a Thursday: hour 0 of the epoch is hour 72 of a week starting on Monday.
const EPOCH_HOUR_OF_WEEK = 72;

export interface Seasonality {
  /** Relative rate at a UTC instant (averages 1 over a week). */
  at(ms: number): number;
  /** Largest value `at` can return. */
  readonly max: number;
}

const tables = new Map<Rhythm, Float64Array>();

function weekTable(rhythm: Rhythm): Float64Array {
  let table = tables.get(rhythm);
  if (!table) {
    table = new Float64Array(169);
    for (let h = 0; h < 168; h++) {
      table[h] = (HOURLY[rhythm][h % 24] as number) * (DAILY[rhythm][Math.floor(h / 24)] as number);
    }
    let sum = 0;
    for (let h = 0; h < 168; h++) sum += table[h] as number;
    for (let h = 0; h < 168; h++) table[h] = ((table[h] as number) * 168) / sum;
    table[168] = table[0] as number;
    tables.set(rhythm, table);
  }
  return table;
}

export function createSeasonality(rhythm: Rhythm, utcOffsetHours: number): Seasonality {
  const table = weekTable(rhythm);
  let max = 0;
  for (let h = 0; h < 168; h++) max = Math.max(max, table[h] as number);
  const shift = EPOCH_HOUR_OF_WEEK + utcOffsetHours;
  return {
    max,
    at(ms) {
      // Linear between hour marks, so minute-level traffic has no steps on the hour.
      const hours = ms / HOUR + shift;
      const hourOfWeek = ((hours % 168) + 168) % 168;
      const index = Math.floor(hourOfWeek);
      const fraction = hourOfWeek - index;
      const here = table[index] as number;
      return here + ((table[index + 1] as number) - here) * fraction;
    },
  };
}
