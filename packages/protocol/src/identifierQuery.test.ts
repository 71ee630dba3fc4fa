import { decode, encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import {
  FieldSource,
  IdentifierQueryCode,
  identifierRequest,
  identifierResponse,
  type ProfileField,
  profileField,
  type QueryElement,
  queryElement,
  SearchIdentifierType,
  type UserProfile,
  userProfile,
} from "./identifierQuery.js";
import { codecErrorOf, hex, wire } from "./test-support/wire.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

const handle: QueryElement = { searchType: SearchIdentifierType.handle, searchValue: "im:yolanda@xyz.example" };
const givenName: QueryElement = {
  searchType: SearchIdentifierType.oidcStdClaim,
  claimName: utf8("given_name"),
  searchValue: "Xavier",
};
const organization: QueryElement = {
  searchType: SearchIdentifierType.vcardField,
  propertyName: utf8("ORG"),
  searchValue: "XYZ Sales",
};

describe("QueryElement (protocol-06 s.5.8)", () => {
  it("selects on searchType: only the search value for a handle", () => {
    const expected = wire`01 16 ${"im:yolanda@xyz.example"}`;
    expect(bytesToHex(encode(queryElement, handle))).toBe(expected);
    expect(decode(queryElement, hex(expected))).toEqual(handle);
  });

  it("puts claimName (oidcStdClaim) or propertyName (vcardField) before the search value", () => {
    expect(bytesToHex(encode(queryElement, givenName))).toBe(wire`07 0a ${"given_name"} 06 ${"Xavier"}`);
    expect(bytesToHex(encode(queryElement, organization))).toBe(wire`08 03 ${"ORG"} 09 ${"XYZ Sales"}`);
    expect(decode(queryElement, hex(wire`08 03 ${"ORG"} 09 ${"XYZ Sales"}`))).toEqual(organization);
  });

  it("holds the search value as UTF-8 text", () => {
    const value: QueryElement = { searchType: SearchIdentifierType.partialName, searchValue: "Zoë" };
    expect(bytesToHex(encode(queryElement, value))).toBe("05045a6fc3ab");
    expect(decode(queryElement, hex("05 04 5a6fc3ab"))).toEqual(value);
  });

  it("refuses a search value that is not UTF-8", () => {
    const error = codecErrorOf(() => decode(queryElement, hex("01 02 c328")));
    expect([error.struct, error.field, error.reason]).toEqual(["QueryElement", "searchValue", "invalid UTF-8"]);
  });

  it("refuses search type reserved(0) and unknown types", () => {
    for (const type of [0, 9]) {
      const error = codecErrorOf(() => decode(queryElement, hex(`0${type} 01 61`)));
      expect([error.struct, error.field, error.reason]).toEqual([
        "QueryElement",
        "searchType",
        `unknown SearchIdentifierType value ${type}`,
      ]);
    }
  });
});

describe("IdentifierRequest (protocol-06 s.5.8)", () => {
  it("is query_elements<V> then id_request_extensions", () => {
    const value = { queryElements: [givenName, organization], idRequestExtensions: { componentData: [] } };
    // 19 + 15 bytes of elements = 0x22; an empty AppDataDictionary
    const expected = `22${wire`07 0a ${"given_name"} 06 ${"Xavier"} 08 03 ${"ORG"} 09 ${"XYZ Sales"}`}00`;
    expect(bytesToHex(encode(identifierRequest, value))).toBe(expected);
    expect(decode(identifierRequest, hex(expected))).toEqual(value);
  });
});

const name: ProfileField = {
  fieldSource: FieldSource.oidcStdClaim,
  fieldName: "name",
  fieldValue: utf8("Yolanda Ybarra"),
};
const yolanda: UserProfile = { stableUri: "mimi://xyz.example/u/4f9d2c71", fields: [name] };

describe("ProfileField and UserProfile (protocol-06 s.5.8)", () => {
  it("reads `string fieldName` as UTF-8 in an opaque<V>", () => {
    const expected = wire`07 04 ${"name"} 0e ${"Yolanda Ybarra"}`;
    expect(bytesToHex(encode(profileField, name))).toBe(expected);
    expect(decode(profileField, hex(expected))).toEqual(name);
    const error = codecErrorOf(() => decode(profileField, hex("07 01 ff 00")));
    expect([error.struct, error.field, error.reason]).toEqual(["ProfileField", "fieldName", "invalid UTF-8"]);
  });

  it("accepts only the field sources oidcStdClaim(7) and vcardField(8)", () => {
    expect(decode(profileField, hex("08 03 4f5247 00"))).toEqual({
      fieldSource: FieldSource.vcardField,
      fieldName: "ORG",
      fieldValue: new Uint8Array(),
    });
    for (const source of [0, 1, 6, 9]) {
      const error = codecErrorOf(() => decode(profileField, hex(`0${source} 01 61 00`)));
      expect([error.struct, error.field, error.reason]).toEqual([
        "ProfileField",
        "fieldSource",
        `unknown FieldSource value ${source}`,
      ]);
    }
  });

  it("lays out a profile as its stable URI then fields<V>", () => {
    // stableUri <V> of 29, fields<V> of 21
    const expected = wire`1d ${"mimi://xyz.example/u/4f9d2c71"} 15 07 04 ${"name"} 0e ${"Yolanda Ybarra"}`;
    expect(bytesToHex(encode(userProfile, yolanda))).toBe(expected);
  });
});

describe("IdentifierResponse (protocol-06 s.5.8)", () => {
  it("reads `IdentifierUri uri<V>` as a vector of URIs", () => {
    const value = {
      responseCode: IdentifierQueryCode.success,
      uri: ["mimi://xyz.example/u/4f9d2c71", "mimi://xyz.example/u/x"],
      foundProfiles: [yolanda],
      idResponseExtensions: { componentData: [] },
    };
    // uri<V> of (1 + 29) + (1 + 22) = 53 = 0x35; foundProfiles<V> of 1 + 29 + 1 + 21 = 52 = 0x34
    const expected =
      `00 35 ${wire`1d ${"mimi://xyz.example/u/4f9d2c71"} 16 ${"mimi://xyz.example/u/x"}`}` +
      ` 34 ${wire`1d ${"mimi://xyz.example/u/4f9d2c71"} 15 07 04 ${"name"} 0e ${"Yolanda Ybarra"}`} 00`;
    expect(bytesToHex(encode(identifierResponse, value))).toBe(expected.replace(/\s/g, ""));
    expect(decode(identifierResponse, hex(expected))).toEqual(value);
  });

  it("refuses an unknown response code", () => {
    const error = codecErrorOf(() => decode(identifierResponse, hex("05 00 00 00")));
    expect([error.struct, error.field, error.reason]).toEqual([
      "IdentifierResponse",
      "responseCode",
      "unknown IdentifierQueryCode value 5",
    ]);
  });
});
