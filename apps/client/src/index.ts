/**
 * @mimi-ts/client: the MIMI reference client. `Client` is the SDK: a
 * device's state on disk, its provider's client API over HTTPS, and MIMI
 * rooms over MLS (@mimi-ts/room) through a RoomTransport (by default the
 * provider's room routes over HTTPS); `runCli` is the
 * `mimi` command line on top of it.
 */

export { type CliIo, runCli } from "./cli.js";
export {
  Client,
  type ClientOptions,
  type CreatedRoom,
  type DeviceAccess,
  MAX_KEY_PACKAGES_PER_UPLOAD,
  type ProviderEndpoint,
  type PublishResult,
  type RegisterOptions,
  type RejectedEvent,
  type RoomChangeResult,
  type RoomSummary,
  type SentMessage,
  type SyncResult,
} from "./client.js";
export { bodyText, type ConversationMessage, type ConversationReaction, conversationOf } from "./conversation.js";
export { ClientError, ROOM_ENDPOINTS_UNAVAILABLE } from "./errors.js";
export { HttpsProviderApi, inboxEventOf } from "./httpsProvider.js";
export { HttpsRoomTransport, type HttpsRoomTransportOptions } from "./httpsRoomTransport.js";
export {
  type DeviceRegistration,
  type EventStream,
  FANOUT_EVENT,
  type InboxEvent,
  type KeyPackageUpload,
  type ProviderApi,
  type RegisteredDevice,
} from "./providerApi.js";
export { type HttpsProviderOptions, providerBaseUrl } from "./providerConnection.js";
export { type RoomCreation, type RoomTransport, roomCreationCodec } from "./roomTransport.js";
export { type ServerSentEvent, ServerSentEventParser } from "./sse.js";
export {
  DEVICE_FILE,
  type DeviceState,
  type LoggedMessage,
  ROOMS_DIRECTORY,
  type RoomRecord,
  StateStore,
  type StoredKeyPackage,
} from "./state.js";
