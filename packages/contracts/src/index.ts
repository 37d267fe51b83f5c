export * from "./gen/grpc/health/v1/health_pb.js";
export * from "./gen/trellis/gateway/v1/ingest_frames_pb.js";
export * from "./gen/trellis/warehouse/v1/analytics_pb.js";
export * from "./gen/trellis/warehouse/v1/cache_pb.js";
export * from "./gen/trellis/warehouse/v1/campaign_pb.js";
export * from "./gen/trellis/warehouse/v1/common_pb.js";
export * from "./gen/trellis/warehouse/v1/discovery_pb.js";
export * from "./gen/trellis/warehouse/v1/export_pb.js";
export * from "./gen/trellis/warehouse/v1/ingest_pb.js";
export * from "./gen/trellis/warehouse/v1/privacy_pb.js";
export * from "./gen/trellis/warehouse/v1/query_pb.js";
export * from "./gen/trellis/warehouse/v1/session_pb.js";
export * from "./gen/warden/v1/warden_pb.js";

export { CAMPAIGN_PARAMS, CLICK_ID_SPECS, type ClickIdSpec } from "./url-parameters.js";
