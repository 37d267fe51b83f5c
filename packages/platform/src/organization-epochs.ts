/**
 * A counter per organization that moves whenever this process learns that the organization's
 * answers may have changed: its data versions advanced, its campaign ruleset changed, or it
 * was invalidated. Holders of derived answers compare the epoch they stored with the current
 * one; a move makes every such answer of that organization, and no other, unusable.
 * Processes of a split deployment each have their own and see only what they learn.
 */
export interface OrganizationEpochs {
  current(organizationId: string): number;
  advance(organizationId: string): void;
}

/**
 * Epochs held in this process's memory, starting at 0 for every organization. Entries are
 * never evicted, so memory grows with the number of organizations seen.
 */
export function createOrganizationEpochs(): OrganizationEpochs {
  // One number per organization seen; never evicted, so an epoch never repeats.
  const epochs = new Map<string, number>();
  return {
    current: (organizationId) => epochs.get(organizationId) ?? 0,
    advance(organizationId) {
      epochs.set(organizationId, (epochs.get(organizationId) ?? 0) + 1);
    },
  };
}
