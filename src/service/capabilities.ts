// A service-mode connector's capabilities, from the ConnectorMetadata in its Hello
// (c1.connector.v2: ConnectorMetadata 8 capabilities → ConnectorCapabilities 2
// connector_capabilities, a packed repeated enum Capability).

import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

const CAPABILITIES = [
  "CAPABILITY_UNSPECIFIED",
  "CAPABILITY_PROVISION",
  "CAPABILITY_SYNC",
  "CAPABILITY_EVENT_FEED",
  "CAPABILITY_TICKETING",
  "CAPABILITY_ACCOUNT_PROVISIONING",
  "CAPABILITY_CREDENTIAL_ROTATION",
  "CAPABILITY_RESOURCE_CREATE",
  "CAPABILITY_RESOURCE_DELETE",
];

const MAX_CAPABILITIES = 64;

/** The connector-level capability names in a ConnectorMetadata; unknown values as CAPABILITY_<n>. */
export function decodeCapabilities(metadata: Uint8Array): string[] {
  const found: string[] = [];
  const add = (value: number) => {
    const name = CAPABILITIES[value] ?? `CAPABILITY_${value}`;
    if (value !== 0 && !found.includes(name) && found.length < MAX_CAPABILITIES) found.push(name);
  };
  try {
    const meta = new BinaryReader(metadata);
    while (meta.pos < meta.len) {
      const [field, wireType] = meta.tag();
      if (field !== 8 || wireType !== WireType.LengthDelimited) {
        meta.skip(wireType, field);
        continue;
      }
      const caps = new BinaryReader(meta.bytes());
      while (caps.pos < caps.len) {
        const [f, w] = caps.tag();
        if (f === 2 && w === WireType.LengthDelimited) {
          const end = caps.uint32() + caps.pos;
          while (caps.pos < end) add(caps.int32());
        } else if (f === 2 && w === WireType.Varint) add(caps.int32());
        else caps.skip(w, f);
      }
    }
  } catch {
    // metadata we cannot read says nothing more
  }
  return found;
}
