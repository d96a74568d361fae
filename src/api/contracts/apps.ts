import { Type, type Static } from "typebox";
import { LIMITS } from "../../domain/limits.js";
import {
  Empty,
  FreeObject,
  NonBlank,
  Nullable,
  Text,
  TextList,
  TextMap,
  Timestamp,
  ref,
  UpdateMask,
} from "./common.js";

/** C1 app fields that syncplane stores and returns without acting on them. */
export const APP_PASSTHROUGH_FIELDS = [
  "accessModel",
  "annotations",
  "certifyPolicyId",
  "connectorVersion",
  "defaultRequestCatalogId",
  "enableConnectorSourcedOwnership",
  "grantPolicyId",
  "iconUrl",
  "identityMatching",
  "instructions",
  "isManuallyManaged",
  "matchBatonRef",
  "monthlyCostUsd",
  "revokeGrantSources",
  "revokePolicyId",
  "strictAccessEntitlementProvisioning",
] as const;

/** Paths an update of an app may name in its updateMask. */
/** Fields an update may not name: the server sets them. */
export const APP_READ_ONLY = [
  "id",
  "createdAt",
  "updatedAt",
  "deletedAt",
  "appAccountId",
  "appAccountName",
  "appOwners",
  "appUserMapper",
  "fieldMask",
  "isDirectory",
  "logoUri",
  "parentAppId",
  "userCount",
];

export const APP_UPDATABLE = ["displayName", "description", ...APP_PASSTHROUGH_FIELDS] as const;

const int32 = { minimum: -2147483648, maximum: 2147483647, format: "int32" };

const passthrough = {
  accessModel: Type.Optional(Text("shortText")),
  annotations: Type.Optional(TextMap({ limit: "shortText" }, "longText", "annotations")),
  certifyPolicyId: Type.Optional(Text("shortText")),
  connectorVersion: Type.Optional(Type.Integer({ ...int32, minimum: 0 })),
  defaultRequestCatalogId: Type.Optional(Text("shortText")),
  enableConnectorSourcedOwnership: Type.Optional(Type.Boolean()),
  grantPolicyId: Type.Optional(Text("shortText")),
  iconUrl: Type.Optional(Text("longText")),
  identityMatching: Type.Optional(Text("shortText")),
  instructions: Type.Optional(Text("longText")),
  isManuallyManaged: Type.Optional(Type.Boolean()),
  matchBatonRef: Type.Optional(Nullable(FreeObject())),
  monthlyCostUsd: Type.Optional(Type.Integer(int32)),
  revokeGrantSources: Type.Optional(Type.Boolean()),
  revokePolicyId: Type.Optional(Text("shortText")),
  strictAccessEntitlementProvisioning: Type.Optional(Type.Boolean()),
};

export const App = Type.Object(
  {
    id: Type.Optional(Text("id")),
    displayName: Type.Optional(Text("displayName")),
    description: Type.Optional(Text("description")),
    createdAt: Type.Optional(Nullable(Timestamp)),
    updatedAt: Type.Optional(Nullable(Timestamp)),
    deletedAt: Type.Optional(Nullable(Timestamp)),
    ...passthrough,
  },
  { $id: "c1.api.app.v1.App", title: "App" },
);
export type App = Static<typeof App>;

/** The App as a client may send it back in an update: read-only fields are accepted and ignored. */
export const AppInput = Type.Object(
  {
    ...App.properties,
    displayName: Type.Optional(NonBlank("displayName")),
    appAccountId: Type.Optional(Text("shortText")),
    appAccountName: Type.Optional(Text("shortText")),
    appOwners: Type.Optional(Nullable(Type.Array(FreeObject(), { maxItems: LIMITS.listItems }))),
    appUserMapper: Type.Optional(Nullable(FreeObject())),
    fieldMask: Type.Optional(Nullable(Text("updateMask"))),
    isDirectory: Type.Optional(Type.Boolean()),
    logoUri: Type.Optional(Text("longText")),
    parentAppId: Type.Optional(Text("shortText")),
    userCount: Type.Optional(Text("shortText")),
  },
  { additionalProperties: false },
);

export const CreateAppRequest = Type.Object(
  {
    displayName: NonBlank("displayName"),
    description: Type.Optional(Text("description")),
    owners: Type.Optional(Nullable(TextList("id", "userIds"))),
    appEntitlementOwnerRefs: Type.Optional(
      Nullable(Type.Array(FreeObject(), { maxItems: LIMITS.listItems })),
    ),
    ...passthrough,
  },
  {
    $id: "c1.api.app.v1.CreateAppRequest",
    title: "Create App Request",
    additionalProperties: false,
  },
);
export type CreateAppRequest = Static<typeof CreateAppRequest>;

export const UpdateAppRequest = Type.Object(
  {
    app: Type.Optional(Nullable(AppInput)),
    updateMask: UpdateMask(APP_UPDATABLE, APP_READ_ONLY),
  },
  {
    $id: "c1.api.app.v1.UpdateAppRequestInput",
    title: "Update App Request",
    additionalProperties: false,
  },
);
export type UpdateAppRequest = Static<typeof UpdateAppRequest>;

const appResponse = (id: string, title: string) =>
  Type.Object({ app: Type.Optional(ref("c1.api.app.v1.App")) }, { $id: id, title });

export const CreateAppResponse = appResponse(
  "c1.api.app.v1.CreateAppResponse",
  "Create App Response",
);
export const GetAppResponse = appResponse("c1.api.app.v1.GetAppResponse", "Get App Response");
export const UpdateAppResponse = appResponse(
  "c1.api.app.v1.UpdateAppResponse",
  "Update App Response",
);

export const ListAppsResponse = Type.Object(
  {
    list: Type.Array(ref("c1.api.app.v1.App")),
    nextPageToken: Type.Optional(Type.String()),
  },
  { $id: "c1.api.app.v1.ListAppsResponse", title: "List Apps Response" },
);
export interface ListAppsResponse {
  list: App[];
  nextPageToken?: string;
}

export const DeleteAppRequest = Empty("c1.api.app.v1.DeleteAppRequestInput", "Delete App Request");
export const DeleteAppResponse = Empty("c1.api.app.v1.DeleteAppResponse", "Delete App Response");
