import { installTelemetryFromEnv } from "@trellis/platform/telemetry";

installTelemetryFromEnv("trellis");
