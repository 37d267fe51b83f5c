import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for personal data kept encrypted: each value sealed with the organization's data
 * key as `pii1.<key id>.<base64url of nonce ‖ ciphertext ‖ tag>` (URL-safe, so a sealed value
 * can stand in a query string), and each data key wrapped with the master key the same way.
 * Without the data key — shredded — a sealed value cannot be read by anyone.
 */
export interface DataKey {
  /** Short id stored in every value it sealed: which key opens it. */
  id: string;
  /** 32 bytes. */
  secret: Uint8Array;
}

const PREFIX = "pii1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function encrypt(secret: Uint8Array, plain: Uint8Array, aad: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", secret, nonce);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function decrypt(secret: Uint8Array, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error("sealed value too short");
  const decipher = createDecipheriv("aes-256-gcm", secret, sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

export function sealValue(plain: string, key: DataKey): string {
  return `${PREFIX}.${key.id}.${encrypt(key.secret, Buffer.from(plain, "utf8"), key.id).toString("base64url")}`;
}

/** The key id a sealed value names, or undefined when the text is not a sealed value. */
export function sealedKeyId(text: string): string | undefined {
  const match = /^pii1\.([a-z0-9]+)\.[A-Za-z0-9_-]+$/.exec(text);
  return match?.[1];
}

/** Opens a sealed value with whichever of `keys` sealed it; throws when that key is gone. */
export function openValue(sealed: string, keys: ReadonlyMap<string, DataKey>): string {
  const id = sealedKeyId(sealed);
  if (id === undefined) throw new Error("not a sealed value");
  const key = keys.get(id);
  if (!key) throw new Error(`data key ${id} is not available (shredded or unknown)`);
  const body = Buffer.from(sealed.slice(PREFIX.length + id.length + 2), "base64url");
  return decrypt(key.secret, body, id).toString("utf8");
}

/** A new random data key. */
export function newDataKey(): DataKey {
  return { id: randomBytes(6).toString("hex"), secret: new Uint8Array(randomBytes(32)) };
}

/** The data key wrapped with the master key (32 bytes), bound to its organization and id. */
export function wrapDataKey(key: DataKey, master: Uint8Array, organizationId: string): string {
  return encrypt(master, key.secret, `${organizationId}\0${key.id}`).toString("base64");
}

export function unwrapDataKey(id: string, wrapped: string, master: Uint8Array, organizationId: string): DataKey {
  return { id, secret: new Uint8Array(decrypt(master, Buffer.from(wrapped, "base64"), `${organizationId}\0${id}`)) };
}
