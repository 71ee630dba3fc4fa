import { type Codec, CodecError, decode, encode } from "@mimi-ts/codec";
import {
  externalSender,
  type GroupInfoRequest,
  type GroupInfoResponse,
  groupInfoRequest,
  groupInfoResponse,
  type HandshakeBundle,
  handshakeBundle,
  type KeyMaterialRequest,
  type KeyMaterialResponse,
  keyMaterialRequest,
  keyMaterialResponse,
  type SubmitMessageRequest,
  type SubmitMessageResponse,
  submitMessageRequest,
  submitMessageResponse,
  type UpdateRoomResponse,
  updateRoomResponse,
} from "@mimi-ts/protocol";
import type { CiphersuiteName, ExternalSender } from "ts-mls";
import { ClientError, ROOM_ENDPOINTS_UNAVAILABLE } from "./errors.js";
import { type HttpsProviderOptions, type ProviderAnswer, ProviderConnection, refusal } from "./providerConnection.js";
import { type RoomCreation, type RoomTransport, roomCreationCodec } from "./roomTransport.js";

/** The Content-Type of MIMI binary bodies (apps/hub's, as the draft names none). */
const MIMI_BODY_TYPE = "application/octet-stream";
/** The largest answer read: a GroupInfo with the ratchet tree of a large room is the biggest. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface HttpsRoomTransportOptions extends HttpsProviderOptions {
  /** the device's bearer token */
  readonly token: string;
}

/** A room or user URI as one path segment. */
const segment = (uri: string) => encodeURIComponent(uri);

/**
 * The room endpoints of apps/hub's client API over HTTPS (apps/hub README
 * "Rooms"), with the device's bearer token: the provider acts as the Hub of
 * its own rooms and relays the rest to their Hubs. Bodies are the protocol
 * structs (application/octet-stream); a 200 answer is decoded strictly.
 *
 * A provider without these routes answers 404 to them, as it does for a
 * room it does not know: the transport tells the two apart by asking for
 * the Hub's external sender, a route that never answers 404, and fails
 * with ROOM_ENDPOINTS_UNAVAILABLE when it is missing too.
 */
export class HttpsRoomTransport implements RoomTransport {
  private readonly connection: ProviderConnection;
  private readonly token: string;

  constructor(options: HttpsRoomTransportOptions) {
    this.connection = new ProviderConnection(options);
    this.token = options.token;
  }

  hubExternalSender(roomUri: string, cipherSuite: CiphersuiteName): Promise<ExternalSender> {
    return this.exchange("GET", this.hubSenderPath(roomUri, cipherSuite), undefined, externalSender);
  }

  async createRoom(roomUri: string, creation: RoomCreation): Promise<void> {
    const path = `/client/v1/rooms/${segment(roomUri)}`;
    const answer = await this.send("POST", path, encode(roomCreationCodec, creation));
    if (answer.status !== 201) throw await this.failure("POST", path, answer);
  }

  sendHandshake(roomUri: string, bundle: HandshakeBundle): Promise<UpdateRoomResponse> {
    const path = `/client/v1/rooms/${segment(roomUri)}/update`;
    return this.exchange("POST", path, encode(handshakeBundle, bundle), updateRoomResponse);
  }

  submitMessage(roomUri: string, request: SubmitMessageRequest): Promise<SubmitMessageResponse> {
    const path = `/client/v1/rooms/${segment(roomUri)}/submitMessage`;
    return this.exchange("POST", path, encode(submitMessageRequest, request), submitMessageResponse);
  }

  fetchGroupInfo(roomUri: string, request: GroupInfoRequest): Promise<GroupInfoResponse> {
    const path = `/client/v1/rooms/${segment(roomUri)}/groupInfo`;
    return this.exchange("POST", path, encode(groupInfoRequest, request), groupInfoResponse);
  }

  claimKeyMaterial(request: KeyMaterialRequest): Promise<KeyMaterialResponse> {
    const path = `/client/v1/keyMaterial/${segment(request.targetUser)}`;
    return this.exchange("POST", path, encode(keyMaterialRequest, request), keyMaterialResponse);
  }

  private hubSenderPath(roomUri: string, cipherSuite: string): string {
    return `/client/v1/rooms/${segment(roomUri)}/hubSender?cipherSuite=${encodeURIComponent(cipherSuite)}`;
  }

  private send(method: string, path: string, body: Uint8Array | undefined): Promise<ProviderAnswer> {
    return this.connection.send(method, path, {
      ...(body === undefined ? {} : { body, contentType: MIMI_BODY_TYPE }),
      token: this.token,
      accept: MIMI_BODY_TYPE,
      maxAnswerBytes: MAX_ANSWER_BYTES,
    });
  }

  /** One request whose 200 answer is a protocol struct. */
  private async exchange<T>(method: string, path: string, body: Uint8Array | undefined, codec: Codec<T>): Promise<T> {
    const answer = await this.send(method, path, body);
    if (answer.status !== 200) throw await this.failure(method, path, answer);
    try {
      return decode(codec, answer.body);
    } catch (error) {
      if (error instanceof CodecError) throw new ClientError(`the answer to ${method} ${path}: ${error.message}`);
      throw error;
    }
  }

  /** The error for an answer other than the expected one; a 404 of a provider without room routes says so. */
  private async failure(method: string, path: string, answer: ProviderAnswer): Promise<ClientError> {
    if (answer.status === 404 && !(await this.offersRoomRoutes())) {
      return new ClientError(ROOM_ENDPOINTS_UNAVAILABLE, { status: 404 });
    }
    return refusal(method, path, answer);
  }

  /** Whether the provider has the room routes: its hubSender route answers anything but 404 for any room. */
  private async offersRoomRoutes(): Promise<boolean> {
    const probe = await this.send("GET", this.hubSenderPath("mimi://probe.invalid/r/probe", "probe"), undefined);
    return probe.status !== 404;
  }
}
