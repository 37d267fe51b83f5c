import { createHash } from "node:crypto";
import { FailedPreconditionError, type Logger, ValidationError } from "@trellis/platform";
import type { Store } from "@trellis/store";
import { toDateTime64 } from "@trellis/store";
import type { PiiPolicy } from "../domain/pii/scrub.js";
import { type DataKey, newDataKey, openValue, unwrapDataKey, wrapDataKey } from "../domain/pii/seal.js";

export type PiiMode = "redact" | "encrypt";

export interface PiiSettingsView {
  mode: PiiMode;
  dropParams: string[];
  currentKeyId: string;
  keyIds: string[];
}

interface Loaded {
  at: number;
  mode: PiiMode;
  dropParams: string[];
  /** Oldest first; the last one seals. */
  keys: DataKey[];
}

/** How long an ingest process reuses an organization's settings and keys before reading them again. */
const REFRESH_MS = 10_000;
const MAX_DROP_PARAMS = 100;
const MAX_REVEAL_VALUES = 1_000;

/** The AES-256 master key from its configured secret (any text of 32 or more characters). */
export function masterKeyFrom(secret: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(secret, "utf8").digest());
}

/**
 * Per-organization personal-data settings and data keys: what ingest applies to each batch
 * (`policyFor`) and what PrivacyService changes. Data keys are stored wrapped by the master
 * key and unwrapped in memory only. Without a master key, encryption cannot be chosen and an
 * organization set to encrypt is redacted instead (nothing is ever stored in the clear).
 */
export function createPiiKeyring(store: Store, master: Uint8Array | undefined, logger: Logger) {
  const db = store.database;
  const loaded = new Map<string, Loaded>();

  async function load(organizationId: string): Promise<Loaded> {
    const cached = loaded.get(organizationId);
    if (cached && Date.now() - cached.at < REFRESH_MS) return cached;
    const params = { organization_id: organizationId };
    const { rows: settings } = await store.query<{ mode: PiiMode; drop_params: string[] }>({
      name: "privacy.pii_settings",
      sql: `SELECT mode, drop_params FROM ${db}.privacy_pii_settings FINAL WHERE organization_id = {organization_id:String}`,
      params,
      organizationId,
    });
    const { rows: keyRows } = await store.query<{ key_id: string; wrapped: string }>({
      name: "privacy.data_keys",
      sql: `SELECT key_id, wrapped FROM ${db}.privacy_data_keys FINAL
WHERE organization_id = {organization_id:String} ORDER BY created_at, key_id`,
      params,
      organizationId,
    });
    const keys: DataKey[] = [];
    for (const row of keyRows) {
      if (!master) break;
      try {
        keys.push(unwrapDataKey(row.key_id, row.wrapped, master, organizationId));
      } catch (error) {
        logger.error(
          { err: error, organization_id: organizationId, key: row.key_id },
          "a data key does not unwrap with the master key",
        );
      }
    }
    const entry: Loaded = {
      at: Date.now(),
      mode: settings[0]?.mode ?? "redact",
      dropParams: settings[0]?.drop_params ?? [],
      keys,
    };
    loaded.set(organizationId, entry);
    return entry;
  }

  function view(entry: Loaded): PiiSettingsView {
    return {
      mode: entry.mode,
      dropParams: entry.dropParams,
      currentKeyId: entry.keys.at(-1)?.id ?? "",
      keyIds: entry.keys.map((k) => k.id),
    };
  }

  function requireMaster(): Uint8Array {
    if (!master)
      throw new FailedPreconditionError(
        "encryption needs a master key: set TRELLIS_PII_MASTER_KEY on the ingest service",
      );
    return master;
  }

  async function addKey(organizationId: string): Promise<void> {
    const key = newDataKey();
    await store.insert(
      "privacy_data_keys",
      [
        {
          organization_id: organizationId,
          key_id: key.id,
          wrapped: wrapDataKey(key, requireMaster(), organizationId),
          created_at: toDateTime64(Date.now()),
        },
      ],
      { organizationId },
    );
  }

  async function fresh(organizationId: string): Promise<Loaded> {
    loaded.delete(organizationId);
    return load(organizationId);
  }

  return {
    /** The policy ingest applies to the organization's next batch. */
    async policyFor(organizationId: string): Promise<PiiPolicy> {
      const entry = await load(organizationId);
      const key = entry.keys.at(-1);
      if (entry.mode === "encrypt" && key) return { mode: "encrypt", dropParams: entry.dropParams, key };
      return { mode: "redact", dropParams: entry.dropParams };
    },

    async settings(organizationId: string): Promise<PiiSettingsView> {
      return view(await load(organizationId));
    },

    async update(organizationId: string, change: { mode?: PiiMode; dropParams: readonly string[] }) {
      if (change.dropParams.length > MAX_DROP_PARAMS)
        throw ValidationError.field("drop_params", `at most ${MAX_DROP_PARAMS} names`);
      change.dropParams.forEach((name, i) => {
        if (!/^[A-Za-z0-9_.\-[\]]{1,128}$/.test(name))
          throw ValidationError.field(
            `drop_params[${i}]`,
            "expected 1 to 128 letters, digits, '_', '-', '.', '[' or ']'",
          );
      });
      const current = await fresh(organizationId);
      const mode = change.mode ?? current.mode;
      if (mode === "encrypt") {
        requireMaster();
        if (current.keys.length === 0) await addKey(organizationId);
      }
      await store.insert(
        "privacy_pii_settings",
        [
          {
            organization_id: organizationId,
            mode,
            drop_params: [...new Set(change.dropParams.map((n) => n.toLowerCase()))],
            updated_at: toDateTime64(Date.now()),
          },
        ],
        { organizationId },
      );
      return view(await fresh(organizationId));
    },

    async rotate(organizationId: string): Promise<PiiSettingsView> {
      await addKey(organizationId);
      return view(await fresh(organizationId));
    },

    /**
     * Deletes the keys (all when `keyIds` is empty) and rewrites the table's parts so that not
     * even their wrapped bytes stay on disk. An organization that encrypts gets a new key for
     * what ingest receives next. Another ingest process drops the keys within its refresh.
     */
    async shred(
      organizationId: string,
      keyIds: readonly string[],
    ): Promise<{ shredded: string[]; settings: PiiSettingsView }> {
      const current = await fresh(organizationId);
      const unknown = keyIds.filter((id) => !current.keys.some((k) => k.id === id));
      if (unknown.length > 0)
        throw ValidationError.field("key_ids", `no such data key: ${unknown.join(", ").slice(0, 64)}`);
      const shredded = keyIds.length > 0 ? [...keyIds] : current.keys.map((k) => k.id);
      if (shredded.length > 0) {
        await store.command({
          name: "privacy.shred_keys",
          sql: `DELETE FROM ${db}.privacy_data_keys WHERE organization_id = {organization_id:String} AND key_id IN {key_ids:Array(String)}`,
          params: { organization_id: organizationId, key_ids: shredded },
          organizationId,
        });
        await store.command({
          name: "privacy.rewrite_keys",
          sql: `OPTIMIZE TABLE ${db}.privacy_data_keys FINAL`,
          organizationId: null,
        });
      }
      const after = await fresh(organizationId);
      if (after.mode === "encrypt" && after.keys.length === 0 && master) await addKey(organizationId);
      return { shredded, settings: view(await fresh(organizationId)) };
    },

    async reveal(organizationId: string, values: readonly string[]): Promise<{ values: string[]; errors: string[] }> {
      if (values.length > MAX_REVEAL_VALUES)
        throw ValidationError.field("values", `at most ${MAX_REVEAL_VALUES} values a request`);
      const keys = new Map((await fresh(organizationId)).keys.map((k) => [k.id, k]));
      const out: string[] = [];
      const errors: string[] = [];
      for (const value of values) {
        try {
          out.push(openValue(value, keys));
          errors.push("");
        } catch (error) {
          out.push("");
          errors.push((error as Error).message);
        }
      }
      return { values: out, errors };
    },

    /** Forgets everything held in memory about the organization. */
    forget(organizationId: string): void {
      loaded.delete(organizationId);
    },
  };
}

export type PiiKeyring = ReturnType<typeof createPiiKeyring>;
