import { Type, type Static } from "typebox";
import { Empty, Nullable, Timestamp, ref } from "./common.js";

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

const passthrough = {
  accessModel: Type.Optional(Type.String()),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  certifyPolicyId: Type.Optional(Type.String()),
  connectorVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  defaultRequestCatalogId: Type.Optional(Type.String()),
  enableConnectorSourcedOwnership: Type.Optional(Type.Boolean()),
  grantPolicyId: Type.Optional(Type.String()),
  iconUrl: Type.Optional(Type.String()),
  identityMatching: Type.Optional(Type.String()),
  instructions: Type.Optional(Type.String()),
  isManuallyManaged: Type.Optional(Type.Boolean()),
  matchBatonRef: Type.Optional(Nullable(Type.Object({}, { additionalProperties: true }))),
  monthlyCostUsd: Type.Optional(Type.Integer()),
  revokeGrantSources: Type.Optional(Type.Boolean()),
  revokePolicyId: Type.Optional(Type.String()),
  strictAccessEntitlementProvisioning: Type.Optional(Type.Boolean()),
};

export const App = Type.Object(
  {
    id: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
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
    appAccountId: Type.Optional(Type.String()),
    appAccountName: Type.Optional(Type.String()),
    appOwners: Type.Optional(Nullable(Type.Array(Type.Object({}, { additionalProperties: true })))),
    appUserMapper: Type.Optional(Nullable(Type.Object({}, { additionalProperties: true }))),
    fieldMask: Type.Optional(Nullable(Type.String())),
    isDirectory: Type.Optional(Type.Boolean()),
    logoUri: Type.Optional(Type.String()),
    parentAppId: Type.Optional(Type.String()),
    userCount: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const CreateAppRequest = Type.Object(
  {
    displayName: Type.String(),
    description: Type.Optional(Type.String()),
    owners: Type.Optional(Nullable(Type.Array(Type.String()))),
    appEntitlementOwnerRefs: Type.Optional(
      Nullable(Type.Array(Type.Object({}, { additionalProperties: true }))),
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
    updateMask: Type.Optional(Nullable(Type.String())),
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
