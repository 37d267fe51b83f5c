export interface CampaignParams {
  source: string;
  medium: string;
  campaign: string;
  term: string;
  content: string;
}

/**
 * UTM parameters of a landing URL, trimmed. Source and medium are lower-cased so that "Google" and "google" group
 * together; the raw values stay in the query parameters. utm_id stands in for a missing utm_campaign.
 */
export function readCampaignParams(params: Record<string, string>): CampaignParams {
  return {
    source: (params.utm_source ?? "").trim().toLowerCase(),
    medium: (params.utm_medium ?? "").trim().toLowerCase(),
    campaign: (params.utm_campaign ?? "").trim() || (params.utm_id ?? "").trim(),
    term: (params.utm_term ?? "").trim(),
    content: (params.utm_content ?? "").trim(),
  };
}
