// What a sync reads from a connector: resource types, resources, entitlements and grants, in the
// shape baton uses (ids as baton writes them: entitlement ids "<type>:<resource>:<slug>").

export const RESOURCE_TRAITS = [
  "USER",
  "GROUP",
  "ROLE",
  "APP",
  "SECRET",
  "SECURITY_INSIGHT",
  "SCOPE_BINDING",
  "VENDOR",
  "VENDOR_AGREEMENT",
  "LICENSE_PROFILE",
  "AGENT",
  "MANAGED_DEVICE",
] as const;
export type ResourceTrait = (typeof RESOURCE_TRAITS)[number];

export interface ResourceTypeRecord {
  readonly id: string;
  readonly displayName: string;
  readonly traits: readonly ResourceTrait[];
  /** The connector asks not to be checked for data drops on this type (SkipSyncAnomalyDetection). */
  readonly skipDataDropCheck: boolean;
}

export interface ResourceRef {
  readonly resourceTypeId: string;
  readonly resourceId: string;
}

export interface ResourceRecord extends ResourceRef {
  readonly displayName: string;
  readonly parent: ResourceRef | null;
}

export interface EntitlementRecord extends ResourceRef {
  /** "<resourceTypeId>:<resourceId>:<slug>" */
  readonly id: string;
  readonly slug: string;
  readonly displayName: string;
}

export interface GrantRecord {
  /** "<entitlementId>:<principalTypeId>:<principalId>" */
  readonly id: string;
  readonly entitlementId: string;
  readonly principal: ResourceRef;
}

export const entitlementId = (resourceTypeId: string, resourceId: string, slug: string): string =>
  `${resourceTypeId}:${resourceId}:${slug}`;

export const grantId = (entitlement: string, principal: ResourceRef): string =>
  `${entitlement}:${principal.resourceTypeId}:${principal.resourceId}`;
