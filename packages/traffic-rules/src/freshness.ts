import { Freshness, Granularity } from "@trellis/contracts";

/** How fresh an answer over [startDate, endDate] needs to be, judged against today (UTC). */
export function freshnessFor(endDate: string, granularity: Granularity, today: Date): Freshness {
  const todayIso = today.toISOString().slice(0, 10);
  const yesterday = new Date(today.getTime() - 2 * 86_400_000).toISOString().slice(0, 10);
  if (endDate < yesterday) return Freshness.HISTORICAL;
  if (granularity === Granularity.MINUTE) return Freshness.REALTIME;
  if (endDate >= todayIso) return Freshness.HOURLY;
  return Freshness.DAILY;
}
