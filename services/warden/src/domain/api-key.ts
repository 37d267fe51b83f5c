import { createHash, randomInt, timingSafeEqual } from "node:crypto";

const KEY_PREFIX = "trk";
/** Publishable keys look different at a glance, as they are meant to appear in web pages. */
const PUBLISHABLE_KEY_PREFIX = "trkp";
const ID_PATTERN = /^[a-z0-9]{12}$/;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Characters drawn uniformly from ALPHABET (randomInt rejects the bytes a modulo would bias). */
function randomToken(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export interface GeneratedKey {
  id: string;
  /** The whole credential, shown once: "trk_<id>_<secret>" ("trkp_…" for a publishable key). */
  credential: string;
  /** What is stored: a SHA-256 of the credential (keys are random, so no slow hash is needed). */
  hash: string;
  prefix: string;
}

export function generateApiKey(kind: "secret" | "publishable" = "secret"): GeneratedKey {
  const id = randomToken(12);
  const credential = `${kind === "publishable" ? PUBLISHABLE_KEY_PREFIX : KEY_PREFIX}_${id}_${randomToken(40)}`;
  return { id, credential, hash: hashCredential(credential), prefix: credential.slice(0, 20) };
}

export function hashCredential(credential: string): string {
  return createHash("sha256").update(credential).digest("hex");
}

/** The key id inside an API key credential, or undefined when it is not one. */
export function apiKeyId(credential: string): string | undefined {
  const parts = credential.split("_");
  if (parts.length !== 3 || (parts[0] !== KEY_PREFIX && parts[0] !== PUBLISHABLE_KEY_PREFIX)) return undefined;
  const [, id, secret] = parts;
  if (!id || !ID_PATTERN.test(id) || !secret || secret.length < 32) return undefined;
  return id;
}

export function hashesMatch(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}
