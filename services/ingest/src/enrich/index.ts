export { createEnricher, DEFAULT_USER_AGENT_CACHE_SIZE, DEFAULT_VELOCITY } from "./enricher.js";
export { FRAUD_WEIGHTS } from "./fraud.js";
export { QUALITY_PENALTIES } from "./quality.js";
export type {
  AttributionFacts,
  BotFacts,
  Channel,
  DeviceFacts,
  DeviceType,
  Enricher,
  EnricherOptions,
  Enrichment,
  EventType,
  FraudFacts,
  FraudFlag,
  GeoFacts,
  IpFacts,
  RawEventInput,
  ReferrerClass,
  VelocityOptions,
} from "./types.js";
