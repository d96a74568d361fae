// The few c1.connector.v2 protobuf messages syncplane reads out of a c1z's `data` columns,
// decoded by hand from their field numbers (shared/reference/baton.md §1.7). Only the fields
// syncplane uses are read; everything else, including fields added by newer SDKs, is skipped.

import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { RESOURCE_TRAITS, type ResourceTrait } from "../../domain/inventory.js";

const SKIP_ANOMALY_DETECTION = "c1.connector.v2.SkipSyncAnomalyDetection";

export interface DecodedResourceType {
  readonly id: string;
  readonly displayName: string;
  readonly traits: ResourceTrait[];
  readonly skipAnomalyDetection: boolean;
}

export interface DecodedNames {
  readonly displayName: string;
  /** Entitlement slug (field 8); empty for resources. */
  readonly slug: string;
}

/** c1.connector.v2.ResourceType: 1 id, 2 display_name, 3 traits (packed enum), 4 annotations. */
export function decodeResourceType(data: Uint8Array): DecodedResourceType {
  const reader = new BinaryReader(data);
  let id = "";
  let displayName = "";
  const traits: ResourceTrait[] = [];
  let skipAnomalyDetection = false;
  const addTrait = (value: number) => {
    const trait = RESOURCE_TRAITS[value - 1];
    if (trait && !traits.includes(trait)) traits.push(trait);
  };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) id = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) displayName = reader.string();
    else if (field === 3 && wireType === WireType.LengthDelimited) {
      // packed: a length, then varints
      const end = reader.uint32() + reader.pos;
      while (reader.pos < end) addTrait(reader.int32());
    } else if (field === 3 && wireType === WireType.Varint) addTrait(reader.int32());
    else if (field === 4 && wireType === WireType.LengthDelimited) {
      if (anyTypeName(reader.bytes()) === SKIP_ANOMALY_DETECTION) skipAnomalyDetection = true;
    } else reader.skip(wireType, field);
  }
  return { id, displayName, traits, skipAnomalyDetection };
}

/** Display name (field 3 of both Resource and Entitlement) and Entitlement.slug (field 8). */
export function decodeNames(data: Uint8Array): DecodedNames {
  const reader = new BinaryReader(data);
  let displayName = "";
  let slug = "";
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 3 && wireType === WireType.LengthDelimited) displayName = reader.string();
    else if (field === 8 && wireType === WireType.LengthDelimited) slug = reader.string();
    else reader.skip(wireType, field);
  }
  return { displayName, slug };
}

/** The message name in a google.protobuf.Any's type_url (field 1). */
function anyTypeName(any: Uint8Array): string {
  const reader = new BinaryReader(any);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) {
      const url = reader.string();
      return url.slice(url.lastIndexOf("/") + 1);
    }
    reader.skip(wireType, field);
  }
  return "";
}
