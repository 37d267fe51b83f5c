export { createWardenRepository } from "./adapters/clickhouse.js";
export { createWardenApp } from "./app.js";
export { loadConfig as loadWardenConfig, type WardenConfig, wardenConfigFrom, wardenEnvShape } from "./config.js";
export { createAccounts, DEFAULT_RETENTION_DAYS } from "./domain/accounts.js";
export { parseScopes, scopeName, scopeNames } from "./domain/scopes.js";
