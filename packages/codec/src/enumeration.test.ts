import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.js";
import { enumeration } from "./enumeration.js";
import { uint8, uint16, uint64 } from "./integers.js";
import { struct } from "./struct.js";
import { hex, toHex } from "./test-support/hex.js";

const Protocol = { reserved: 0, mls10: 1 } as const;
const protocol = enumeration("Protocol", uint8, Protocol);

describe("enumeration", () => {
  it("carries known values in its width", () => {
    expect(toHex(encode(protocol, Protocol.mls10))).toBe("01");
    expect(decode(protocol, hex("01"))).toBe(1);
    const wide = enumeration("ComponentId", uint16, { frankAad: 0x0020, participantList: 0x0022 });
    expect(toHex(encode(wide, 0x0022))).toBe("0022");
  });

  it("rejects unknown values in both directions, naming the enum and the field", () => {
    const request = struct("SubmitMessageRequest", { protocol });
    expect(() => decode(request, hex("07"))).toThrow("SubmitMessageRequest.protocol: unknown Protocol value 7");
    expect(() => encode(request, { protocol: 2 as 1 })).toThrow(
      "SubmitMessageRequest.protocol: unknown Protocol value 2",
    );
  });

  it("works with a bigint width", () => {
    const big = enumeration("Big", uint64, { one: 1n, max: (1n << 64n) - 1n });
    expect(decode(big, encode(big, (1n << 64n) - 1n))).toBe((1n << 64n) - 1n);
    expect(() => decode(big, hex("0000000000000002"))).toThrow("unknown Big value 2n");
  });
});
