// The applied inventory of a connector (syncplane's own read API; C1 serves its inventory through
// other services) and the download URL of a sync's artifact (C1's GetConnectorSyncDownloadURL).

import { Type } from "typebox";
import { ref } from "./common.js";

const ResourceId = Type.Object({ resourceTypeId: Type.String(), resourceId: Type.String() });

export const InventoryResourceType = Type.Object(
  {
    id: Type.String(),
    displayName: Type.String(),
    traits: Type.Optional(Type.Array(Type.String())),
    skipDataDropCheck: Type.Optional(Type.Boolean()),
    // The data-drop limits that apply to this type's count (the connector's policy: the type's
    // own, else the default); absent when the type is exempt (skipDataDropCheck).
    dataDropLimits: Type.Optional(
      Type.Object({ thresholdPercent: Type.Number(), minRows: Type.Integer() }),
    ),
  },
  { $id: "syncplane.v1.InventoryResourceType", title: "Inventory Resource Type" },
);

export const InventoryResource = Type.Object(
  {
    resourceTypeId: Type.String(),
    resourceId: Type.String(),
    displayName: Type.String(),
    parent: Type.Optional(ResourceId),
  },
  { $id: "syncplane.v1.InventoryResource", title: "Inventory Resource" },
);

export const InventoryEntitlement = Type.Object(
  {
    id: Type.String(),
    resourceTypeId: Type.String(),
    resourceId: Type.String(),
    slug: Type.String(),
    displayName: Type.String(),
  },
  { $id: "syncplane.v1.InventoryEntitlement", title: "Inventory Entitlement" },
);

export const InventoryGrant = Type.Object(
  { id: Type.String(), entitlementId: Type.String(), principal: ResourceId },
  { $id: "syncplane.v1.InventoryGrant", title: "Inventory Grant" },
);

const listOf = (item: string, id: string, title: string) =>
  Type.Object(
    {
      /** The sync whose data this is (the applied one unless `sync_id` chose another). */
      syncId: Type.String(),
      list: Type.Array(ref(item)),
      nextPageToken: Type.Optional(Type.String()),
    },
    { $id: id, title },
  );

export const ListResourceTypesResponse = listOf(
  "syncplane.v1.InventoryResourceType",
  "syncplane.v1.ListInventoryResourceTypesResponse",
  "List Inventory Resource Types Response",
);
export const ListResourcesResponse = listOf(
  "syncplane.v1.InventoryResource",
  "syncplane.v1.ListInventoryResourcesResponse",
  "List Inventory Resources Response",
);
export const ListEntitlementsResponse = listOf(
  "syncplane.v1.InventoryEntitlement",
  "syncplane.v1.ListInventoryEntitlementsResponse",
  "List Inventory Entitlements Response",
);
export const ListGrantsResponse = listOf(
  "syncplane.v1.InventoryGrant",
  "syncplane.v1.ListInventoryGrantsResponse",
  "List Inventory Grants Response",
);

export interface InventoryList<T> {
  syncId: string;
  list: T[];
  nextPageToken?: string;
}
export interface InventoryResourceType {
  id: string;
  displayName: string;
  traits?: string[];
  skipDataDropCheck?: boolean;
  dataDropLimits?: { thresholdPercent: number; minRows: number };
}
export interface InventoryResource {
  resourceTypeId: string;
  resourceId: string;
  displayName: string;
  parent?: { resourceTypeId: string; resourceId: string };
}
export interface InventoryEntitlement {
  id: string;
  resourceTypeId: string;
  resourceId: string;
  slug: string;
  displayName: string;
}
export interface InventoryGrant {
  id: string;
  entitlementId: string;
  principal: { resourceTypeId: string; resourceId: string };
}

export const GetDownloadUrlResponse = Type.Object(
  { downloadUrl: Type.Optional(Type.String()) },
  {
    $id: "c1.api.app.v1.GetConnectorSyncDownloadURLResponse",
    title: "Get Connector Sync Download Url Response",
  },
);
export interface GetDownloadUrlResponse {
  downloadUrl?: string;
}

export const SyncLogLine = Type.Object(
  {
    at: Type.String(),
    stream: Type.String(),
    level: Type.String(),
    message: Type.String(),
  },
  { $id: "syncplane.v1.SyncLogLine", title: "Sync Log Line" },
);
export const GetSyncLogResponse = Type.Object(
  { lines: Type.Array(ref("syncplane.v1.SyncLogLine")) },
  { $id: "syncplane.v1.GetSyncLogResponse", title: "Get Sync Log Response" },
);
export interface SyncLogLine {
  at: string;
  stream: string;
  level: string;
  message: string;
}
export interface GetSyncLogResponse {
  lines: SyncLogLine[];
}
