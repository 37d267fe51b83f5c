export { CHANNELS, type Channel, classifyLanding } from "./channels.js";
export { EVENT_TYPES, type EventType, type GeneratedEvent } from "./event.js";
export { createGenerator, type GeneratorOptions, type TrafficGenerator } from "./generator.js";
export type {
  ChannelTruth,
  FraudBurstTruth,
  GroundTruth,
  OrganizationTruth,
  PatternKind,
  PatternTruth,
} from "./ground-truth.js";
export { CLOUD_RANGES, type DatacenterRange } from "./ip-addresses.js";
export type { Organization } from "./organizations.js";
export { CRAWLERS, type Crawler, type Device } from "./user-agents.js";
export type { Vertical } from "./verticals.js";
