/**
 * The stored event's definition and its Native encoding, without the engine: the entry for
 * code that prepares rows, above all ingest's worker threads. A worker thread must never load
 * chDB: the engine's addon, loaded by a worker and torn down when the worker was terminated,
 * left every later statement of the process about 40 ms slower (a `SELECT 1` from 2 ms to
 * 40–65 ms, measured after `trellis seed` and the demo data's seeding, whose workers end when
 * they are done).
 */
export * from "./events-block.js";
export * from "./events-table.js";
export * from "./native.js";
