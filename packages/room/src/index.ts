/**
 * @mimi-ts/room: MIMI rooms as MLS groups. Room state from the GroupContext's
 * app components, the policy engine that authorizes every change, MIMI
 * identities and their authentication service.
 */
export * from "./identity.js";
export * from "./participants.js";
export * from "./policy.js";
export * from "./roomBuilder.js";
export * from "./roomChange.js";
export * from "./roomState.js";
