/** A cached answer with its owner, its full key and its timing. */
export interface Entry {
  organizationId: string;
  key: string;
  value: Uint8Array;
  storedAt: number;
  /** After this the entry is stale: served to all but one caller, who recomputes it. */
  softExpiresAt: number;
  /** After this the entry is gone. */
  hardExpiresAt: number;
  /** How long the answer took to compute, in milliseconds (0 when unknown). */
  computeMs: number;
}

export class EnvelopeError extends Error {
  override name = "EnvelopeError";
}

// "TCE" and a format version.
const MAGIC = [0x54, 0x43, 0x45, 0x01] as const;
const FIXED_BYTES = MAGIC.length + 2 + 2 + 8 * 3 + 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The bytes stored in Redis: magic, organization, full key, times, then the value. The
 * owner and key inside the value are what a reader checks, so an answer read through a
 * confused connection or a colliding key is never handed to the wrong organization.
 */
export function encodeEntry(entry: Entry): Uint8Array {
  const org = encoder.encode(entry.organizationId);
  const key = encoder.encode(entry.key);
  if (org.byteLength > 0xffff || key.byteLength > 0xffff) throw new EnvelopeError("organization or key too long");
  const bytes = new Uint8Array(FIXED_BYTES + org.byteLength + key.byteLength + entry.value.byteLength);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  let offset = MAGIC.length;
  view.setUint16(offset, org.byteLength);
  bytes.set(org, offset + 2);
  offset += 2 + org.byteLength;
  view.setUint16(offset, key.byteLength);
  bytes.set(key, offset + 2);
  offset += 2 + key.byteLength;
  view.setFloat64(offset, entry.storedAt);
  view.setFloat64(offset + 8, entry.softExpiresAt);
  view.setFloat64(offset + 16, entry.hardExpiresAt);
  view.setUint32(offset + 24, Math.min(0xffffffff, Math.max(0, Math.round(entry.computeMs))));
  bytes.set(entry.value, offset + 28);
  return bytes;
}

/** Decodes stored bytes and checks that they belong to `organizationId` and `key`. */
export function decodeEntry(bytes: Uint8Array, organizationId: string, key: string): Entry {
  if (bytes.byteLength < FIXED_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new EnvelopeError("not a cache envelope");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = MAGIC.length;
  const text = (): string => {
    const length = view.getUint16(offset);
    if (offset + 2 + length > bytes.byteLength) throw new EnvelopeError("truncated envelope");
    const value = decoder.decode(bytes.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
    return value;
  };
  let storedOrganization: string;
  let storedKey: string;
  try {
    storedOrganization = text();
    storedKey = text();
  } catch (error) {
    if (error instanceof EnvelopeError) throw error;
    throw new EnvelopeError("envelope text is not UTF-8", { cause: error });
  }
  if (offset + 28 > bytes.byteLength) throw new EnvelopeError("truncated envelope");
  if (storedOrganization !== organizationId) throw new EnvelopeError("envelope belongs to another organization");
  if (storedKey !== key) throw new EnvelopeError("envelope belongs to another key");
  return {
    organizationId: storedOrganization,
    key: storedKey,
    storedAt: view.getFloat64(offset),
    softExpiresAt: view.getFloat64(offset + 8),
    hardExpiresAt: view.getFloat64(offset + 16),
    computeMs: view.getUint32(offset + 24),
    // A copy: the value outlives the buffer Redis handed over.
    value: bytes.slice(offset + 28),
  };
}
