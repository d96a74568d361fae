package main

// Hand-written protobuf encoding of the few c1.connector.v2 messages a c1z
// holds, using only protowire (no generated code, no copied .proto). Field
// numbers are the ones listed in shared/reference/baton.md §1.7. Fields are
// written in field-number order and proto3 defaults (empty strings, zero
// enums, false) are left out, as Go's proto.Marshal does.

import "google.golang.org/protobuf/encoding/protowire"

const typeURLPrefix = "type.googleapis.com/"

// ResourceType.traits values (c1.connector.v2.ResourceType.Trait).
const (
	traitUser  = 1
	traitGroup = 2
	traitRole  = 3
)

// Entitlement.purpose values (c1.connector.v2.Entitlement.PurposeValue).
const (
	purposeAssignment = 1
	purposePermission = 2
)

// UserTrait.account_type value for a human account.
const accountTypeHuman = 1

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendMessage writes a set sub-message; an empty message still gets its tag.
func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	return appendVarintField(b, num, 1)
}

// appendPackedEnums writes a packed repeated enum (one length-delimited field).
func appendPackedEnums(b []byte, num protowire.Number, vs []uint64) []byte {
	if len(vs) == 0 {
		return b
	}
	var packed []byte
	for _, v := range vs {
		packed = protowire.AppendVarint(packed, v)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, packed)
}

// anyMsg is google.protobuf.Any: 1 type_url, 2 value.
func anyMsg(messageName string, value []byte) []byte {
	var b []byte
	b = appendString(b, 1, typeURLPrefix+messageName)
	b = appendBytesField(b, 2, value)
	return b
}

// resourceTypeMsg is c1.connector.v2.ResourceType: 1 id, 2 display_name,
// 3 traits (packed enum), 4 annotations (Any).
func resourceTypeMsg(id, displayName string, traits []uint64, annotations [][]byte) []byte {
	var b []byte
	b = appendString(b, 1, id)
	b = appendString(b, 2, displayName)
	b = appendPackedEnums(b, 3, traits)
	for _, a := range annotations {
		b = appendMessage(b, 4, a)
	}
	return b
}

// resourceIDMsg is c1.connector.v2.ResourceId: 1 resource_type, 2 resource.
func resourceIDMsg(resourceType, resource string) []byte {
	var b []byte
	b = appendString(b, 1, resourceType)
	b = appendString(b, 2, resource)
	return b
}

// resourceMsg is c1.connector.v2.Resource: 1 id, 2 parent_resource_id (unset
// here), 3 display_name, 4 annotations (Any).
func resourceMsg(resourceType, resource, displayName string, annotations [][]byte) []byte {
	var b []byte
	b = appendMessage(b, 1, resourceIDMsg(resourceType, resource))
	b = appendString(b, 3, displayName)
	for _, a := range annotations {
		b = appendMessage(b, 4, a)
	}
	return b
}

// userTraitMsg is c1.connector.v2.UserTrait: 1 emails (UserTrait.Email{1
// address, 2 is_primary}), 5 account_type, 6 login.
func userTraitMsg(email, login string) []byte {
	var b []byte
	if email != "" {
		var e []byte
		e = appendString(e, 1, email)
		e = appendBool(e, 2, true)
		b = appendMessage(b, 1, e)
	}
	b = appendVarintField(b, 5, accountTypeHuman)
	b = appendString(b, 6, login)
	return b
}

// entitlementMsg is c1.connector.v2.Entitlement: 1 resource, 2 id,
// 3 display_name, 4 description, 5 grantable_to (ResourceType), 7 purpose,
// 8 slug.
func entitlementMsg(resource []byte, id, displayName, description string, grantableTo [][]byte, purpose uint64, slug string) []byte {
	var b []byte
	b = appendMessage(b, 1, resource)
	b = appendString(b, 2, id)
	b = appendString(b, 3, displayName)
	b = appendString(b, 4, description)
	for _, rt := range grantableTo {
		b = appendMessage(b, 5, rt)
	}
	b = appendVarintField(b, 7, purpose)
	b = appendString(b, 8, slug)
	return b
}

// grantMsg is c1.connector.v2.Grant: 1 entitlement, 2 principal, 3 id.
func grantMsg(entitlement, principal []byte, id string) []byte {
	var b []byte
	b = appendMessage(b, 1, entitlement)
	b = appendMessage(b, 2, principal)
	b = appendString(b, 3, id)
	return b
}
