import { CredentialType } from "@mimi-ts/protocol";
import fc from "fast-check";
import type { Credential } from "ts-mls";
import { describe, expect, it } from "vitest";
import {
  basicCredential,
  basicCredentialClaim,
  basicCredentialClaims,
  buildClientUri,
  checkIdentityContinuity,
  credentialIdentity,
  mimiAuthenticationService,
  parseClientUri,
  userUriOfClient,
  validateMimiCredential,
} from "./identity.js";

const utf8 = new TextEncoder();
const key = new Uint8Array([1, 2, 3]);

describe("parseClientUri", () => {
  it("reads mimi://<domain>/d/<user>/<client> as a client of mimi://<domain>/u/<user>", () => {
    expect(parseClientUri("mimi://d.example/d/alice/laptop")).toEqual({
      ok: true,
      identity: {
        clientUri: "mimi://d.example/d/alice/laptop",
        userUri: "mimi://d.example/u/alice",
        domain: "d.example",
        userId: "alice",
        clientId: "laptop",
      },
    });
  });

  it("fits the client URI of the content draft's examples (mimi-content-08, Examples, Original Message)", () => {
    const uri = "mimi://example.com/d/3b52249d-68f9-45ce-8bf5-c799f3cad7ec/0003";
    expect(userUriOfClient(uri)).toBe("mimi://example.com/u/3b52249d-68f9-45ce-8bf5-c799f3cad7ec");
  });

  it("refuses protocol-06 Table 1's mimi://a.example/d/ClientA1: it names no user", () => {
    const result = parseClientUri("mimi://a.example/d/ClientA1");
    expect(result.ok ? undefined : result.error.code).toBe("client-uri-without-user");
    expect(parseClientUri("mimi://a.example/d/alice/phone/2").ok).toBe(false);
  });

  it("refuses user, room and provider URIs, and what is no MIMI URI", () => {
    for (const text of [
      "mimi://a.example/u/alice",
      "mimi://a.example/r/room",
      "mimi://a.example",
      "https://a.example",
    ]) {
      const result = parseClientUri(text);
      expect(result.ok ? undefined : result.error.code).toBe("not-a-client-uri");
    }
  });

  it("refuses a non-canonical spelling, so equal strings are equal identities", () => {
    const result = parseClientUri("mimi://A.Example/d/alice/1");
    expect(result.ok ? undefined : result.error.code).toBe("not-canonical");
    expect(userUriOfClient("mimi://A.Example/d/alice/1")).toBeUndefined();
  });
});

describe("buildClientUri", () => {
  it("appends the client id to the user's id under /d/", () => {
    expect(buildClientUri("mimi://b.example/u/bob", "phone")).toBe("mimi://b.example/d/bob/phone");
  });

  it("throws on a user URI that is not one, or a client id that is not one segment", () => {
    expect(() => buildClientUri("mimi://b.example/d/bob/phone", "x")).toThrow(RangeError);
    expect(() => buildClientUri("mimi://B.example/u/bob", "x")).toThrow(RangeError);
    expect(() => buildClientUri("mimi://b.example/u/bob", "a/b")).toThrow(RangeError);
    expect(() => buildClientUri("mimi://b.example/u/bob", "")).toThrow(RangeError);
    expect(() => buildClientUri("mimi://b.example/u/bob", "..")).toThrow(RangeError);
  });

  it("builds what parseClientUri reads back, for any user and client id", () => {
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(segment, segment, (user, client) => {
        const uri = buildClientUri(`mimi://p.example/u/${user}`, client);
        const result = parseClientUri(uri);
        expect(result.ok && [result.identity.userUri, result.identity.clientId]).toEqual([
          `mimi://p.example/u/${user}`,
          client,
        ]);
      }),
    );
  });
});

describe("credentialIdentity", () => {
  it("reads a basic credential's identity as a client URI", () => {
    const result = credentialIdentity(basicCredential("mimi://a.example/d/alice/1"));
    expect(result.ok && result.identity.userUri).toBe("mimi://a.example/u/alice");
  });

  it("refuses X.509 and custom credentials", () => {
    const x509: Credential = { credentialType: "x509", certificates: [] };
    const result = credentialIdentity(x509);
    expect(result.ok ? undefined : result.error.code).toBe("not-basic-credential");
  });

  it("refuses an identity that is not UTF-8", () => {
    const result = credentialIdentity({ credentialType: "basic", identity: new Uint8Array([0xc3, 0x28]) });
    expect(result.ok ? undefined : result.error.code).toBe("identity-not-utf8");
  });

  it("basicCredential refuses what is not a client URI", () => {
    expect(() => basicCredential("mimi://a.example/u/alice")).toThrow(RangeError);
    expect(basicCredential("mimi://a.example/d/alice/1").identity).toEqual(utf8.encode("mimi://a.example/d/alice/1"));
  });
});

describe("mimiAuthenticationService", () => {
  const alice1 = basicCredential("mimi://a.example/d/alice/1");

  it("accepts a MIMI basic credential and refuses any other", async () => {
    const service = mimiAuthenticationService();
    expect(await service.validateCredential(alice1, key)).toBe(true);
    expect(await service.validateCredential({ credentialType: "basic", identity: utf8.encode("alice") }, key)).toBe(
      false,
    );
  });

  it("accepts only the listed domains when given", async () => {
    const service = mimiAuthenticationService({ domains: ["A.example"] });
    expect(await service.validateCredential(alice1, key)).toBe(true);
    const bob = basicCredential("mimi://b.example/d/bob/1");
    expect(await service.validateCredential(bob, key)).toBe(false);
    const result = await validateMimiCredential(bob, key, { domains: ["a.example"] });
    expect(result.ok ? undefined : result.error.code).toBe("domain-not-allowed");
  });

  it("with a pinned key lookup, accepts only the pinned key and refuses unknown clients", async () => {
    const pinned = new Map([["mimi://a.example/d/alice/1", key]]);
    const options = { pinnedSignatureKey: async (identity: { clientUri: string }) => pinned.get(identity.clientUri) };
    expect((await validateMimiCredential(alice1, key, options)).ok).toBe(true);
    const wrong = await validateMimiCredential(alice1, new Uint8Array([1, 2, 4]), options);
    expect(wrong.ok ? undefined : wrong.error.code).toBe("signature-key-mismatch");
    const unknown = await validateMimiCredential(basicCredential("mimi://a.example/d/alice/2"), key, options);
    expect(unknown.ok ? undefined : unknown.error.code).toBe("unknown-client");
    expect(await mimiAuthenticationService(options).validateCredential(alice1, new Uint8Array([9]))).toBe(false);
  });
});

describe("checkIdentityContinuity", () => {
  it("accepts a new leaf of the same client", () => {
    const credential = basicCredential("mimi://a.example/d/alice/1");
    const result = checkIdentityContinuity(credential, basicCredential("mimi://a.example/d/alice/1"));
    expect(result.ok && result.identity.clientUri).toBe("mimi://a.example/d/alice/1");
  });

  it("refuses another client, even of the same user", () => {
    const result = checkIdentityContinuity(
      basicCredential("mimi://a.example/d/alice/1"),
      basicCredential("mimi://a.example/d/alice/2"),
    );
    expect(result.ok ? undefined : result.error.code).toBe("identity-changed");
  });

  it("refuses a new credential that is no MIMI credential, saying which one", () => {
    const result = checkIdentityContinuity(basicCredential("mimi://a.example/d/alice/1"), {
      credentialType: "x509",
      certificates: [],
    });
    expect(result.ok ? undefined : [result.error.code, result.error.reason.startsWith("new credential")]).toEqual([
      "not-basic-credential",
      true,
    ]);
  });
});

describe("basicCredentialClaims (room-policy-03 s.4)", () => {
  const claim = (id: string, value: string) => ({
    claimId: { credentialType: CredentialType.basic, id: utf8.encode(id) },
    claimValue: utf8.encode(value),
  });

  it("gives a client's domain, user and client", () => {
    expect(basicCredentialClaims("mimi://a.example/d/alice/1")).toEqual([
      claim("domain", "a.example"),
      claim("user", "mimi://a.example/u/alice"),
      claim("client", "mimi://a.example/d/alice/1"),
    ]);
    expect(basicCredentialClaim("domain", "a.example")).toEqual(claim("domain", "a.example"));
  });

  it("gives a user URI its domain and user, a provider URI its domain, anything else nothing", () => {
    expect(basicCredentialClaims("mimi://a.example/u/alice")).toEqual([
      claim("domain", "a.example"),
      claim("user", "mimi://a.example/u/alice"),
    ]);
    expect(basicCredentialClaims("mimi://hub.example")).toEqual([claim("domain", "hub.example")]);
    expect(basicCredentialClaims("mimi://a.example/d/ClientA1")).toEqual([
      claim("domain", "a.example"),
      claim("client", "mimi://a.example/d/ClientA1"),
    ]);
    expect(basicCredentialClaims("mimi://a.example/r/room")).toEqual([]);
    expect(basicCredentialClaims("mimi://A.example/u/alice")).toEqual([]);
    expect(basicCredentialClaims("alice")).toEqual([]);
  });
});
