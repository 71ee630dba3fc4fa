/**
 * RFC 9420 s.5.3: credential types beyond basic and x509 (mls-extensions'
 * multi-credentials, a provider's own) are carried as their number and opaque
 * data, and the authentication service decides. ts-mls 1.6.4 threw a
 * TypeError decoding any message that held one.
 */
import { decode, encode, struct, uint16, varOpaque } from "@mimi-ts/codec";
import { credential as protocolCredential } from "@mimi-ts/protocol";
import fc from "fast-check";
import {
  type ClientState,
  type CredentialTypeName,
  createApplicationMessage,
  createCommit,
  createCustomCredential,
  decodeMlsMessage,
  encodeMlsMessage,
  type MLSMessage,
  ValidationError,
} from "ts-mls";
import { decodeCredential, encodeCredential } from "ts-mls/credential.js";
import { verifyKeyPackage } from "ts-mls/keyPackage.js";
import { describe, expect, it } from "vitest";
import {
  basicCredential,
  capabilities,
  config,
  hex,
  newMember,
  receiveApplication,
  rejectsWith,
  startGroup,
  suite,
  wire,
} from "../test-support/tsMlsGroup.js";

const utf8 = new TextEncoder();
/** A credential type from RFC 9420's private use range (0xF000-0xFFFF). */
const CUSTOM = 0xf0a1;
/** ts-mls carries credential types it does not know in Capabilities as the number's text. */
const customInCapabilities = String(CUSTOM) as CredentialTypeName;

// RFC 9420 s.5.3 for a type other than basic and x509: uint16 credential_type, opaque data<V>.
const rfcOtherCredential = struct("Credential", { credentialType: uint16, data: varOpaque() });

describe("a credential of a custom type", () => {
  it("decodes as its number and data and re-encodes to the same bytes", () => {
    const bytes = encode(rfcOtherCredential, { credentialType: CUSTOM, data: utf8.encode("hello") });
    expect(hex(bytes)).toBe("f0a10568656c6c6f");
    const decoded = decodeCredential(bytes, 0);
    expect(decoded).toEqual([{ credentialType: CUSTOM, data: utf8.encode("hello") }, bytes.length]);
    expect(hex(encodeCredential(createCustomCredential(CUSTOM, utf8.encode("hello"))))).toBe(hex(bytes));
    // @mimi-ts/protocol decodes MLS objects with ts-mls and insists on canonical bytes.
    expect(decode(protocolCredential, bytes)).toEqual({ credentialType: CUSTOM, data: utf8.encode("hello") });
  });

  it("round-trips every type other than basic(1) and x509(2) (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 0xffff }), fc.uint8Array({ maxLength: 200 }), (credentialType, data) => {
        const bytes = encode(rfcOtherCredential, { credentialType, data });
        const decoded = decodeCredential(bytes, 0);
        expect(decoded).toEqual([{ credentialType, data }, bytes.length]);
        expect(hex(encodeCredential({ credentialType, data }))).toBe(hex(bytes));
      }),
    );
  });

  it("survives a KeyPackage's trip through an MLSMessage, signature intact", async () => {
    const bob = await newMember(
      "bob",
      createCustomCredential(CUSTOM, utf8.encode("bob@b.example")),
      capabilities(["basic", customInCapabilities]),
    );
    const message: MLSMessage = { version: "mls10", wireformat: "mls_key_package", keyPackage: bob.publicPackage };
    const bytes = encodeMlsMessage(message);
    const decoded = decodeMlsMessage(bytes, 0);
    if (decoded === undefined || decoded[0].wireformat !== "mls_key_package") throw new Error("not a KeyPackage");
    expect(decoded[0].keyPackage.leafNode.credential).toEqual({
      credentialType: CUSTOM,
      data: utf8.encode("bob@b.example"),
    });
    expect(hex(encodeMlsMessage(decoded[0]))).toBe(hex(bytes));
    expect(await verifyKeyPackage(decoded[0].keyPackage, suite.signature)).toBe(true);
  });
});

describe("a member with a custom credential", () => {
  async function members(aliceCredentials: CredentialTypeName[]) {
    const alice = await newMember("alice", basicCredential("alice"), capabilities(aliceCredentials));
    const bob = await newMember(
      "bob",
      createCustomCredential(CUSTOM, utf8.encode("bob@b.example")),
      capabilities(["basic", customInCapabilities]),
    );
    // Alice receives Bob's KeyPackage over the wire.
    const received = wire({ version: "mls10", wireformat: "mls_key_package", keyPackage: bob.publicPackage });
    if (received.wireformat !== "mls_key_package") throw new Error("not a KeyPackage");
    return { alice, bob: { ...bob, publicPackage: received.keyPackage } };
  }

  it("joins when the authentication service accepts the credential, and talks", async () => {
    const { alice, bob } = await members(["basic", customInCapabilities]);
    const validated: unknown[] = [];
    const clientConfig = config({
      authService: {
        async validateCredential(credential) {
          validated.push(credential.credentialType);
          return credential.credentialType === "basic" || credential.credentialType === CUSTOM;
        },
      },
    });
    // Bob joins from a Welcome whose GroupInfo carries the ratchet tree, his custom credential in it.
    const [a, b] = (await startGroup([alice, bob], { clientConfig })) as [ClientState, ClientState];
    expect(validated).toContain(CUSTOM);
    expect(b.ratchetTree[2]?.nodeType === "leaf" && b.ratchetTree[2].leaf.credential).toEqual({
      credentialType: CUSTOM,
      data: utf8.encode("bob@b.example"),
    });
    const sent = await createApplicationMessage(b, utf8.encode("hi from bob"), suite);
    const received = await receiveApplication(a, {
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: sent.privateMessage,
    });
    expect(received.text).toBe("hi from bob");
  });

  it("is refused when the authentication service refuses the credential", async () => {
    const { alice, bob } = await members(["basic", customInCapabilities]);
    const basicOnly = config({
      authService: {
        async validateCredential(credential) {
          return credential.credentialType === "basic";
        },
      },
    });
    const [a] = (await startGroup([alice], { clientConfig: basicOnly })) as [ClientState];
    await rejectsWith(
      createCommit(
        { state: a, cipherSuite: suite },
        { extraProposals: [{ proposalType: "add", add: { keyPackage: bob.publicPackage } }] },
      ),
      ValidationError,
      /Could not validate credential/,
    );
  });

  it("is refused when a member does not list the credential type in its capabilities", async () => {
    const { alice, bob } = await members(["basic"]);
    const [a] = (await startGroup([alice])) as [ClientState];
    await rejectsWith(
      createCommit(
        { state: a, cipherSuite: suite },
        { extraProposals: [{ proposalType: "add", add: { keyPackage: bob.publicPackage } }] },
      ),
      ValidationError,
      /credential that is not supported/,
    );
  });
});
