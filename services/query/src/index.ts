export { effectiveCampaignSource } from "./adapters/effective-campaign.js";
export { createQueryApp } from "./app.js";
export { loadConfig as loadQueryConfig, type QueryConfig, queryConfigFrom, queryEnvShape } from "./config.js";
