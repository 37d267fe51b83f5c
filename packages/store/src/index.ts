export * from "./config.js";
export * from "./errors.js";
export * from "./events-table.js";
export { ensureSchema, SchemaBehindError } from "./migrate.js";
export * from "./migrations/index.js";
export * from "./store.js";
export { applyColdTier, TIERED_POLICY } from "./tiering.js";
export * from "./time.js";
