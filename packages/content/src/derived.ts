import { CborReader } from "./cborReader.js";
import { CborFloat, type CborKey, CborTag, type CborValue } from "./cborValue.js";
import { CborWriter } from "./cborWriter.js";
import { ContentError } from "./errors.js";
import { MESSAGE_ID_LENGTH, type MessageId } from "./types.js";

/** RFC 9581 extended time: tag 1001 around a map of time fields. */
export const EXTENDED_TIME_TAG = 1001;

/** RFC 9581 s.3 map keys this package interprets. */
const BASE_TIME_KEY = 1;
const FRACTION_KEYS = new Map<number, number>([
  [-3, 1e3],
  [-6, 1e6],
  [-9, 1e9],
  [-12, 1e12],
  [-15, 1e15],
  [-18, 1e18],
]);

/** RFC 9581 extended time: the fields of the tag 1001 map, keyed by integer or text. */
export interface ExtendedTime {
  readonly extendedTime: ReadonlyMap<number | string, CborValue>;
}

/** content-08 s.4.6: milliseconds since the UNIX epoch, or RFC 9581 extended time. */
export type Timestamp = number | bigint | ExtendedTime;

/** content-08 s.4.6: the values a receiver derives rather than reads from the message. */
export interface MessageDerivedValues {
  readonly messageId: MessageId;
  readonly hubAcceptedTimestamp: Timestamp;
  readonly mlsGroupId: Uint8Array;
  readonly senderLeafIndex: number;
  readonly senderClientUrl: string;
  readonly senderUserUrl: string;
  readonly roomUrl: string;
}

const MAX_UINT32 = 0xffffffff;
const MAX_UINT64 = (1n << 64n) - 1n;
const EXTENDED_TIME_DEPTH = 4;

/** The milliseconds since the UNIX epoch that a timestamp denotes (fractions below a millisecond truncate). */
export function timestampToMillis(timestamp: Timestamp): number {
  if (typeof timestamp === "number" || typeof timestamp === "bigint") {
    const millis = Number(timestamp);
    if (!Number.isSafeInteger(millis) || millis < 0) throw new ContentError("timestamp", "outside the safe range");
    return millis;
  }
  const fields = timestamp.extendedTime;
  let seconds: number | undefined;
  let fractionMillis = 0;
  let fractionSeen = false;
  for (const [key, value] of fields) {
    if (key === BASE_TIME_KEY) {
      if (typeof value === "number") seconds = value;
      else if (value instanceof CborFloat && Number.isFinite(value.value)) seconds = value.value;
      else throw new ContentError("timestamp[1]", "base time must be an integer or a finite float");
      continue;
    }
    const scale = typeof key === "number" ? FRACTION_KEYS.get(key) : undefined;
    if (scale !== undefined) {
      if (fractionSeen) throw new ContentError(`timestamp[${key}]`, "more than one fractional-seconds key");
      if (typeof value !== "number" || value < 0 || value >= scale) {
        throw new ContentError(`timestamp[${key}]`, `must be an integer in 0..${scale - 1}`);
      }
      fractionSeen = true;
      fractionMillis = Math.floor((value * 1000) / scale);
      continue;
    }
    // RFC 9581 s.3: positive integer keys are critical; negative and text keys are elective.
    if (typeof key === "number" && key > 0) {
      throw new ContentError(`timestamp[${key}]`, "unsupported critical key");
    }
  }
  if (seconds === undefined) throw new ContentError("timestamp", "extended time without base time (key 1)");
  if (fractionSeen && !Number.isInteger(seconds)) {
    throw new ContentError("timestamp", "fractional-seconds key with a float base time");
  }
  const millis = Math.floor(seconds * 1000) + fractionMillis;
  if (!Number.isSafeInteger(millis)) throw new ContentError("timestamp", "outside the safe range");
  return millis;
}

/** Milliseconds as RFC 9581 extended time: `1001({1: seconds, -3: milliseconds})`. */
export function extendedTimeFromMillis(millis: number): ExtendedTime {
  if (!Number.isSafeInteger(millis)) throw new ContentError("timestamp", "must be a safe integer");
  const seconds = Math.floor(millis / 1000);
  const fields = new Map<number | string, CborValue>([[BASE_TIME_KEY, seconds]]);
  const rest = millis - seconds * 1000;
  if (rest !== 0) fields.set(-3, rest);
  return { extendedTime: fields };
}

export function encodeDerivedValues(values: MessageDerivedValues): Uint8Array {
  const writer = new CborWriter();
  writer.head(4, 7);
  if (!(values.messageId instanceof Uint8Array) || values.messageId.length !== MESSAGE_ID_LENGTH) {
    throw new ContentError("messageId", `must be ${MESSAGE_ID_LENGTH} bytes`);
  }
  writer.bytes("messageId", values.messageId);
  const timestamp = values.hubAcceptedTimestamp;
  if (typeof timestamp === "number" || typeof timestamp === "bigint") {
    writer.uint("hubAcceptedTimestamp", timestamp, MAX_UINT64);
  } else {
    writer.enter("hubAcceptedTimestamp");
    writer.value(
      new CborTag(EXTENDED_TIME_TAG, timestamp.extendedTime as Map<CborKey, CborValue>),
      1,
      EXTENDED_TIME_DEPTH,
    );
    writer.leave();
  }
  writer.bytes("mlsGroupId", values.mlsGroupId);
  writer.uint("senderLeafIndex", values.senderLeafIndex, MAX_UINT32);
  writer.text("senderClientUrl", values.senderClientUrl);
  writer.text("senderUserUrl", values.senderUserUrl);
  writer.text("roomUrl", values.roomUrl);
  return writer.finish();
}

/** Decodes the implied-fields array of content-08 s.4.6 (CDDL `MessageDerivedValues`), strictly. */
export function decodeDerivedValues(bytes: Uint8Array): MessageDerivedValues {
  const reader = new CborReader(bytes);
  const length = reader.arrayHeader("messageDerivedValues");
  if (length !== 7) throw reader.error("messageDerivedValues", `expected an array of 7 items, found ${length}`);
  const messageId = reader.bytesItem("messageId");
  if (messageId.length !== MESSAGE_ID_LENGTH) {
    throw reader.error("messageId", `must be ${MESSAGE_ID_LENGTH} bytes, found ${messageId.length}`);
  }
  const hubAcceptedTimestamp = readTimestamp(reader);
  const values: MessageDerivedValues = {
    messageId,
    hubAcceptedTimestamp,
    mlsGroupId: reader.bytesItem("mlsGroupId"),
    senderLeafIndex: reader.uint("senderLeafIndex", MAX_UINT32),
    senderClientUrl: reader.text("senderClientUrl"),
    senderUserUrl: reader.text("senderUserUrl"),
    roomUrl: reader.text("roomUrl"),
  };
  reader.finish("messageDerivedValues");
  return values;
}

function readTimestamp(reader: CborReader): Timestamp {
  reader.enter("hubAcceptedTimestamp");
  const item = reader.value(1, EXTENDED_TIME_DEPTH);
  if (typeof item === "number" || typeof item === "bigint") {
    if (item < 0) throw reader.error(undefined, "must not be negative");
    reader.leave();
    return item;
  }
  if (!(item instanceof CborTag) || item.tag !== EXTENDED_TIME_TAG || !(item.value instanceof Map)) {
    throw reader.error(undefined, "expected milliseconds (uint) or extended time (tag 1001 map)");
  }
  const fields = new Map<number | string, CborValue>();
  for (const [key, value] of item.value) {
    if (typeof key === "number" || typeof key === "string") fields.set(key, value);
    else throw reader.error(undefined, "extended time keys must be integers or text");
  }
  reader.leave();
  return { extendedTime: fields };
}
