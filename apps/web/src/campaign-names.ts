import { useMemo } from "preact/hooks";
import { campaigns } from "./api.js";
import { useAnswer } from "./use-answer.js";

/** Campaign names by id, as the campaigns were at a ruleset version (0 = now), to show names where answers hold ids. */
export function useCampaignNames(asOf: number): Map<string, string> {
  const answer = useAnswer(
    (signal) => campaigns.listCampaigns({ includeArchived: true, asOfRulesetVersion: BigInt(asOf) }, { signal }),
    [asOf],
  );
  return useMemo(() => new Map(answer.data?.campaigns.map((c) => [c.id, c.name]) ?? []), [answer.data]);
}
