/**
 * RFC 9420 s.12.1.8.1: the external_senders extension is
 * `ExternalSender external_senders<V>`, and an external sender's sender_index
 * indexes that vector. ts-mls 1.6.4 read the extension as one ExternalSender.
 */
import { encode, struct, uint16, varOpaque, vector } from "@mimi-ts/codec";
import { ExtensionType } from "@mimi-ts/protocol";
import fc from "fast-check";
import {
  type ClientState,
  type Credential,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPub,
  decodeExternalSenders,
  type Extension,
  type ExternalSender,
  encodeExternalSenders,
  proposeExternal,
  ValidationError,
} from "ts-mls";
import { protectExternalProposalPublic } from "ts-mls/messageProtectionPublic.js";
import { describe, expect, it } from "vitest";
import {
  config,
  hex,
  newMember,
  publicMessage,
  receive,
  rejectsWith,
  startGroup,
  suite,
} from "../test-support/tsMlsGroup.js";

const utf8 = new TextEncoder();

// The RFC 9420 layout, written with our own codec: ExternalSender =
// { opaque signature_key<V>; Credential credential; } with a basic credential
// (uint16 credential_type = 1, opaque identity<V>) or any other type's opaque data<V>.
const rfcExternalSender = struct("ExternalSender", {
  signatureKey: varOpaque(),
  credentialType: uint16,
  identityOrData: varOpaque(),
});
const rfcExternalSenders = vector(rfcExternalSender);

function asTsMls(sender: {
  signatureKey: Uint8Array;
  credentialType: number;
  identityOrData: Uint8Array;
}): ExternalSender {
  const credential: Credential =
    sender.credentialType === 1
      ? { credentialType: "basic", identity: sender.identityOrData }
      : { credentialType: sender.credentialType, data: sender.identityOrData };
  return { signaturePublicKey: sender.signatureKey, credential };
}

async function hub(name: string) {
  const keys = await suite.signature.keygen();
  const sender: ExternalSender = {
    signaturePublicKey: keys.publicKey,
    credential: { credentialType: "basic", identity: utf8.encode(name) },
  };
  return { keys, sender };
}

function externalSendersExtension(senders: ExternalSender[]): Extension {
  return { extensionType: "external_senders", extensionData: encodeExternalSenders(senders) };
}

describe("external_senders extension data (RFC 9420 s.12.1.8.1)", () => {
  it("decodes an RFC-encoded vector of senders and re-encodes it byte for byte", () => {
    const senders = [
      {
        signatureKey: new Uint8Array(32).fill(0xa1),
        credentialType: 1,
        identityOrData: utf8.encode("mimi://a.example"),
      },
      {
        signatureKey: new Uint8Array(32).fill(0xb2),
        credentialType: 1,
        identityOrData: utf8.encode("mimi://b.example"),
      },
    ];
    const bytes = encode(rfcExternalSenders, senders);
    // 2 x (1 + 32 + 2 + 1 + 16) = 104 bytes of items, behind a 2-byte varint length.
    expect(hex(bytes.subarray(0, 2))).toBe("4068");
    const decoded = decodeExternalSenders(bytes);
    expect(decoded).toEqual(senders.map(asTsMls));
    expect(hex(encodeExternalSenders(decoded ?? []))).toBe(hex(bytes));
  });

  it("round-trips any list of senders, basic or custom credentials (property)", () => {
    const sender = fc.record({
      signatureKey: fc.uint8Array({ minLength: 1, maxLength: 80 }),
      credentialType: fc.oneof(fc.constant(1), fc.integer({ min: 3, max: 0xffff })),
      identityOrData: fc.uint8Array({ maxLength: 100 }),
    });
    fc.assert(
      fc.property(fc.array(sender, { maxLength: 6 }), (senders) => {
        const bytes = encode(rfcExternalSenders, senders);
        const decoded = decodeExternalSenders(bytes);
        expect(decoded).toEqual(senders.map(asTsMls));
        expect(hex(encodeExternalSenders(senders.map(asTsMls)))).toBe(hex(bytes));
      }),
    );
  });

  it("refuses bytes that are not exactly one vector", () => {
    const bytes = encode(rfcExternalSenders, [
      { signatureKey: new Uint8Array([1, 2, 3]), credentialType: 1, identityOrData: utf8.encode("hub") },
    ]);
    expect(decodeExternalSenders(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(decodeExternalSenders(new Uint8Array([...bytes, 0]))).toBeUndefined();
    // One ExternalSender without the vector around it, as ts-mls 1.6.4 wrote it.
    const single = encode(rfcExternalSender, {
      signatureKey: new Uint8Array([1, 2, 3]),
      credentialType: 1,
      identityOrData: utf8.encode("hub"),
    });
    expect(decodeExternalSenders(single)).toBeUndefined();
  });
});

describe("external senders in a group", () => {
  it("verify an external proposal by the sender at sender_index in the vector", async () => {
    const [hubA, hubB] = await Promise.all([hub("mimi://a.example"), hub("mimi://b.example")]);
    const [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => newMember(n)));
    if (!alice || !bob || !carol) throw new Error("members");
    let [a, b, c] = (await startGroup([alice, bob, carol], {
      extensions: [externalSendersExtension([hubA.sender, hubB.sender])],
    })) as [ClientState, ClientState, ClientState];

    // The second hub removes carol: sender_index 1.
    const groupInfo = await createGroupInfoWithExternalPub(a, [], suite);
    const proposal = await proposeExternal(
      groupInfo,
      { proposalType: "remove", remove: { removed: c.privatePath.leafIndex } },
      hubB.keys.publicKey,
      hubB.keys.signKey,
      suite,
    );
    if (proposal.wireformat !== "mls_public_message") throw new Error("not a PublicMessage");
    expect(proposal.publicMessage.content.sender).toEqual({ senderType: "external", senderIndex: 1 });

    a = await receive(a, proposal);
    b = await receive(b, proposal);
    c = await receive(c, proposal);
    const commit = await createCommit({ state: a, cipherSuite: suite });
    a = commit.newState;
    b = await receive(b, commit.commit);
    c = await receive(c, commit.commit);
    expect(c.groupActiveState.kind).toBe("removedFromGroup");
    expect(b.groupContext.epoch).toBe(a.groupContext.epoch);
  });

  it("refuse a sender_index beyond the vector", async () => {
    const hubA = await hub("mimi://a.example");
    const [alice, bob] = await Promise.all(["alice", "bob"].map((n) => newMember(n)));
    if (!alice || !bob) throw new Error("members");
    const [a, b] = (await startGroup([alice, bob], { extensions: [externalSendersExtension([hubA.sender])] })) as [
      ClientState,
      ClientState,
    ];
    const forged = await protectExternalProposalPublic(
      hubA.keys.signKey,
      a.groupContext,
      new Uint8Array(),
      { proposalType: "remove", remove: { removed: b.privatePath.leafIndex } },
      { senderType: "external", senderIndex: 1 },
      suite,
    );
    await rejectsWith(receive(a, publicMessage(forged.publicMessage)), ValidationError, /external/);
    // proposeExternal finds no index for a key that is not in the vector.
    const stranger = await suite.signature.keygen();
    const groupInfo = await createGroupInfoWithExternalPub(a, [], suite);
    await rejectsWith(
      proposeExternal(
        groupInfo,
        { proposalType: "remove", remove: { removed: 1 } },
        stranger.publicKey,
        stranger.signKey,
        suite,
      ),
      ValidationError,
      /not among the group's external senders/,
    );
  });

  it("give every listed sender's credential to the authentication service", async () => {
    const [hubA, hubB] = await Promise.all([hub("mimi://a.example"), hub("mimi://b.example")]);
    const alice = await newMember("alice");
    const seen: string[] = [];
    const onlyHubA = config({
      authService: {
        async validateCredential(credential) {
          if (credential.credentialType !== "basic") return false;
          const identity = new TextDecoder().decode(credential.identity);
          seen.push(identity);
          return identity !== "mimi://b.example";
        },
      },
    });
    const extensions = [externalSendersExtension([hubA.sender, hubB.sender])];
    await rejectsWith(
      createGroup(utf8.encode("g"), alice.publicPackage, alice.privatePackage, extensions, suite, onlyHubA),
      ValidationError,
      /Could not validate external credential/,
    );
    expect(seen).toEqual(["mimi://a.example", "mimi://b.example"]);
  });

  it("refuse two external_senders extensions", async () => {
    const [hubA, hubB] = await Promise.all([hub("mimi://a.example"), hub("mimi://b.example")]);
    const alice = await newMember("alice");
    const extensions = [externalSendersExtension([hubA.sender]), externalSendersExtension([hubB.sender])];
    expect(extensions.map((e) => e.extensionType)).toEqual(["external_senders", "external_senders"]);
    expect(ExtensionType.externalSenders).toBe(5);
    await rejectsWith(
      createGroup(utf8.encode("g"), alice.publicPackage, alice.privatePackage, extensions, suite),
      ValidationError,
      /More than one external_senders extension/,
    );
  });
});
