/**
 * @mimi-ts/protocol: every MIMI provider-to-provider wire structure, as
 * codecs of @mimi-ts/codec (`encode(codec, value)`, `decode(codec, bytes)`).
 */
export * from "./abuse.js";
export * from "./appData.js";
export * from "./consent.js";
export * from "./constants.js";
export * from "./directory.js";
export * from "./fanout.js";
export * from "./franking.js";
export * from "./groupInfo.js";
export * from "./identifierQuery.js";
export * from "./identifiers.js";
export { type Json, toJson } from "./json.js";
export * from "./keyMaterial.js";
export * from "./mls.js";
export * from "./mlsMessageKinds.js";
export * from "./operationalPolicy.js";
export * from "./participantList.js";
export * from "./preauth.js";
export * from "./pseudonymousCredential.js";
export * from "./ratchetTreeOptions.js";
export { structNamed, structs } from "./registry.js";
export * from "./roles.js";
export * from "./roomMetadata.js";
export * from "./roomPolicy.js";
export type { StructEntry } from "./structEntry.js";
export * from "./submitMessage.js";
export * from "./update.js";
