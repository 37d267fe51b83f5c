export { createGatewayApp, type GatewayApp, type GatewayPeers } from "./app.js";
export { type GatewayConfig, gatewayConfigFrom, gatewayEnvShape, loadConfig as loadGatewayConfig } from "./config.js";
