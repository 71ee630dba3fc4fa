import { decode, encode } from "@mimi-ts/codec";
import { describe, expect, it } from "vitest";
import { ComponentId, ContentType, ExtensionType, ProposalType, WireFormat } from "./constants.js";
import {
  appMessagePolicy,
  type ExtendedCapabilities,
  extendedCapabilities,
  minDefaultMaxTime,
  type OperationalParameters,
  operationalParameters,
  PendingProposalStrategy,
  pendingProposalPolicy,
} from "./operationalPolicy.js";
import { codecErrorOf, expectWire, hex, wire } from "./test-support/wire.js";

const capabilities: ExtendedCapabilities = {
  versions: [1],
  cipherSuites: [1, 3],
  extensions: [ExtensionType.appDataDictionary],
  proposals: [ProposalType.appDataUpdate, ProposalType.selfRemove],
  credentials: [1],
  wireFormats: [WireFormat.publicMessage, WireFormat.privateMessage],
  componentIds: [ComponentId.participantList, ComponentId.roomMetadata],
  safeAadTypes: [ComponentId.frankAad],
  mediaTypes: [{ type: new TextEncoder().encode("text/markdown"), parameters: [] }],
  contentTypes: [ContentType.application, ContentType.commit],
};
const capabilitiesBytes = wire`
  02 0001
  04 0001 0003
  02 0006
  04 0008 000a
  02 0001
  04 0001 0002
  04 0022 0023
  02 0020
  0f 0d ${"text/markdown"} 00
  02 01 03`;
const noCapabilities: ExtendedCapabilities = {
  versions: [],
  cipherSuites: [],
  extensions: [],
  proposals: [],
  credentials: [],
  wireFormats: [],
  componentIds: [],
  safeAadTypes: [],
  mediaTypes: [],
  contentTypes: [],
};

describe("ExtendedCapabilities (room-policy-03 s.7.1)", () => {
  it("lists uint16 code points, WireFormat for `WireFormats`, MediaType structs and uint8 content types", () => {
    expectWire(extendedCapabilities, capabilities, capabilitiesBytes);
    expectWire(extendedCapabilities, noCapabilities, "00".repeat(10));
  });

  it("decodes code points it does not know", () => {
    const decoded = decode(extendedCapabilities, hex("02 fafa 02 f0f0 00 00 00 00 00 00 00 01 ff"));
    expect(decoded.versions).toEqual([0xfafa]);
    expect(decoded.cipherSuites).toEqual([0xf0f0]);
    expect(decoded.contentTypes).toEqual([0xff]);
  });

  it("refuses a content type wider than a uint8 and a list cut short", () => {
    const wide = codecErrorOf(() => encode(extendedCapabilities, { ...noCapabilities, contentTypes: [0x100] }));
    expect([wide.struct, wide.field]).toEqual(["ExtendedCapabilities", "contentTypes[0]"]);
    const cut = codecErrorOf(() => decode(extendedCapabilities, hex("03 0001 00")));
    expect([cut.struct, cut.field, cut.reason]).toEqual([
      "ExtendedCapabilities",
      "versions[1]",
      "runs past the end of its vector",
    ]);
  });
});

describe("PendingProposalPolicy (room-policy-03 s.7.1)", () => {
  it("has two uint64 delays after random_delay, nothing after the other two", () => {
    expectWire(pendingProposalPolicy, { pendingProposalStrategy: PendingProposalStrategy.unspecified }, "00");
    expectWire(pendingProposalPolicy, { pendingProposalStrategy: PendingProposalStrategy.immediateCommit }, "01");
    const randomDelay = {
      pendingProposalStrategy: PendingProposalStrategy.randomDelay,
      minimumDelayMs: 100n,
      maximumDelayMs: 5_000n,
    } as const;
    expectWire(pendingProposalPolicy, randomDelay, wire`02 0000000000000064 0000000000001388`);
  });

  it("has no case for the draft's `extension`, which names no strategy value", () => {
    const error = codecErrorOf(() => decode(pendingProposalPolicy, hex("03 0024")));
    expect([error.struct, error.field, error.reason]).toEqual([
      "PendingProposalPolicy",
      "pendingProposalStrategy",
      "unknown PendingProposalStrategy value 3",
    ]);
  });
});

describe("MinDefaultMaxTime and AppMessagePolicy (room-policy-03 s.7.1)", () => {
  it("are three uint64s, and uint8, uint16, uint32", () => {
    expectWire(
      minDefaultMaxTime,
      { minimumTime: 1n, defaultTime: 2n, maximumTime: 0xffffffffffffffffn },
      wire`0000000000000001 0000000000000002 ffffffffffffffff`,
    );
    expectWire(
      appMessagePolicy,
      { epochTolerance: 2, padToSize: 256, maxGenerationsSkipahead: 1_000 },
      wire`02 0100 000003e8`,
    );
  });
});

describe("OperationalParameters (room-policy-03 s.7.1)", () => {
  const parameters: OperationalParameters = {
    mandatoryCapabilities: capabilities,
    defaultCapabilities: noCapabilities,
    forbiddenCapabilities: noCapabilities,
    handshakeFormats: [WireFormat.publicMessage],
    externalProposalAllowed: false,
    externalCommitAllowed: true,
    pendingProposalPolicy: { pendingProposalStrategy: PendingProposalStrategy.immediateCommit },
    leafNodeUpdateTime: { minimumTime: 3_600n, defaultTime: 86_400n, maximumTime: 604_800n },
    appMessagePolicy: { epochTolerance: 2, padToSize: 256, maxGenerationsSkipahead: 1_000 },
    maxKpLifetime: 7_776_000n,
    maxCredentialLifetime: 31_536_000n,
    resumptionPskLifetime: 0n,
    senderNonceKeypairLifetime: { minimumTime: 0n, defaultTime: 60n, maximumTime: 3_600n },
    maxKeypairs: 100,
    bufferIncomingMessageTime: { minimumTime: 0n, defaultTime: 5_000n, maximumTime: 60_000n },
    maxBufferedMessages: 500,
  };
  const afterCapabilities = wire`
    02 0001
    00 01
    01
    0000000000000e10 0000000000015180 0000000000093a80
    02 0100 000003e8
    000000000076a700
    0000000001e13380
    0000000000000000
    0000000000000000 000000000000003c 0000000000000e10
    00000064
    0000000000000000 0000000000001388 000000000000ea60
    000001f4`;
  const expected = `${capabilitiesBytes}${"00".repeat(20)}${afterCapabilities}`;

  it("lays out every field in order; `unit64` is uint64 and handshake formats are uint16s", () => {
    expectWire(operationalParameters, parameters, expected);
  });

  it("refuses a bool other than 0 or 1, naming the field", () => {
    const at = capabilitiesBytes.length + 40 + 6; // past the capabilities and handshake_formats<V>
    const bad = `${expected.slice(0, at)}02${expected.slice(at + 2)}`;
    const error = codecErrorOf(() => decode(operationalParameters, hex(bad)));
    expect([error.struct, error.field, error.reason]).toEqual([
      "OperationalParameters",
      "externalProposalAllowed",
      "unknown bool value 2",
    ]);
  });

  it("refuses a truncated value", () => {
    const error = codecErrorOf(() => decode(operationalParameters, hex(expected.slice(0, -2))));
    expect([error.struct, error.field, error.reason]).toEqual([
      "OperationalParameters",
      "maxBufferedMessages",
      "unexpected end of input",
    ]);
  });
});
