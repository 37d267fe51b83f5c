import type { Store } from "@trellis/store";
import { createAccounts, createWardenRepository } from "@trellis/warden";

export const DEMO_ORGANIZATION_ID = "demo";

/** On an empty warehouse: a demo organization and an API key with every scope. */
export async function ensureDemoOrganization(store: Store): Promise<{ created: boolean; apiKey?: string }> {
  const repository = createWardenRepository(store);
  if ((await repository.listOrganizations()).length > 0) return { created: false };
  const accounts = createAccounts({ repository });
  await accounts.createOrganization({ id: DEMO_ORGANIZATION_ID, name: "Demo organization" });
  const { credential } = await accounts.createApiKey({
    organizationId: DEMO_ORGANIZATION_ID,
    name: "demo",
    scopes: [],
  });
  return { created: true, apiKey: credential };
}
