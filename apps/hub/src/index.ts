/**
 * @mimi-ts/hub: the MIMI provider server: configuration, development PKI,
 * the HTTPS server with mutual TLS for federation routes, storage, the
 * durable delivery queue, the peer client, the provider-local client API
 * (devices, KeyPackages, events, rooms), the Hub role (its signing
 * identity, /update, /submitMessage, /groupInfo, ordered fan-out) and the
 * follower role (/notify), with /keyMaterial for both. Later slices add
 * routes as RouteModules (see app.ts) on the same services.
 */
export { createHubApp, FEDERATION_ENDPOINTS, ROUTE_MODULES, type RouteModule } from "./app.js";
export { ciphersuiteImplementation } from "./ciphersuites.js";
export { type CliIo, runCli } from "./cli.js";
export { registerClientRooms, roomCreation } from "./clientRooms.js";
export { type Clock, systemClock } from "./clock.js";
export {
  ConfigError,
  type HubConfig,
  type HubConfigDocument,
  LOG_LEVELS,
  type LogLevel,
  loadConfig,
  parseConfig,
} from "./config.js";
export {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  DeliveryQueue,
  type DeliveryQueueOptions,
  type DeliveryResponse,
  type DeliveryTransport,
} from "./deliveryQueue.js";
export { authenticateDevice, registerDevices, requireDevice } from "./devices.js";
export { type DevnetOptions, type DevnetProvider, prepareDevnet, runDevnet, type ServeCommand } from "./devnet.js";
export {
  type CertificateAuthority,
  caPaths,
  createCertificateAuthority,
  ensureCertificateAuthority,
  ensureProviderCertificate,
  type IssuedCertificate,
  issueProviderCertificate,
} from "./devPki.js";
export { registerEvents } from "./events.js";
export {
  createHostedRoom,
  groupInfoOfHostedRoom,
  isHostedHere,
  type RequestOrigin,
  submitToHostedRoom,
  updateHostedRoom,
} from "./hostedRooms.js";
export {
  decodeBody,
  limitBody,
  MAX_CLIENT_BODY_BYTES,
  MAX_FEDERATION_BODY_BYTES,
  MIMI_BODY_TYPE,
  readBinaryBody,
  sendBinary,
} from "./httpBodies.js";
export { errorHandler, HttpError, plainText } from "./httpErrors.js";
export type { HubEnv, HubVariables } from "./hubEnv.js";
export { HubIdentity, HubIdentityError, IDENTITY_FILE } from "./hubIdentity.js";
export { InboxNotifier, type InboxSubscriber } from "./inboxNotifier.js";
export {
  answerKeyMaterial,
  checkKeyMaterialRequest,
  claimKeyMaterial,
  readKeyMaterialRequest,
  registerKeyMaterial,
  verifyRequesterSignature,
} from "./keyMaterial.js";
export {
  type AcceptedKeyPackage,
  decodeKeyPackageUpload,
  isCompatible,
  type KeyPackageBodyForm,
  KeyPackageBodyType,
  KeyPackageError,
  validateKeyPackage,
} from "./keyPackages.js";
export { registerKeyPackageUpload } from "./keyPackageUpload.js";
export { deliverLocally, FANOUT_EVENT, type LocalDelivery } from "./localDelivery.js";
export { createLogger, type Logger } from "./logger.js";
export { authenticatePeer, requirePeerProvider } from "./mutualTls.js";
export { acceptNotification, type Notification, type NotificationOutcome, registerNotify } from "./notify.js";
export { identifierFromPath } from "./pathIdentifiers.js";
export { endpointPath, PeerClient, type PeerClientOptions, type PeerResponse, UnknownPeerError } from "./peerClient.js";
export { postToPeer } from "./peerRequests.js";
export { requestLogger } from "./requestLog.js";
export { parseRetryAfter } from "./retryAfter.js";
export { registerRoomEndpoints } from "./roomEndpoints.js";
export type { HubDatabase } from "./schema.js";
export { type HubServerOptions, type RunningHub, startHub } from "./server.js";
export type { HubServices } from "./services.js";
export {
  type DeviceRecord,
  HubStore,
  type InboxEvent,
  type KeyPackageClaim,
  type KeyPackageRoute,
  type NewDelivery,
  type NewInboxEvent,
  type NewKeyPackage,
  type OutboundDelivery,
  STORE_FILE,
  type StoredHubRoom,
  type StoredKeyPackage,
} from "./store.js";
export { hashDeviceToken, newDeviceToken } from "./tokens.js";
