import { describe, expect, it } from "vitest";
import {
  DIRECTORY_WELL_KNOWN_PATH,
  DirectoryError,
  directoryFor,
  expandEndpoint,
  type MimiDirectory,
  parseDirectory,
} from "./directory.js";

/**
 * protocol-06 s.5.1's example document as printed, with the one change JSON
 * needs: the colon missing after "proxyDownload" is restored. The slash
 * missing in "update{roomId}" is kept.
 */
const draftExample = `{
  "keyMaterial":
     "https://mimi.example.com/v1/keyMaterial/{targetUser}",
  "update": "https://mimi.example.com/v1/update{roomId}",
  "notify": "https://mimi.example.com/v1/notify/{roomId}",
  "submitMessage":
     "https://mimi.example.com/v1/submitMessage/{roomId}",
  "groupInfo":
     "https://mimi.example.com/v1/groupInfo/{roomId}",
  "requestConsent":
     "https://mimi.example.com/v1/requestConsent/{targetUser}",
  "updateConsent":
     "https://mimi.example.com/v1/updateConsent/{requesterUser}",
  "identifierQuery":
     "https://mimi.example.com/v1/identifierQuery/{domain}",
  "reportAbuse":
     "https://mimi.example.com/v1/reportAbuse/{roomId}",
  "proxyDownload":
     "https://mimi.example.com/v1/proxyDownload/{downloadUrl}"
}`;

const directory = parseDirectory(JSON.parse(draftExample));

function directoryErrorOf(action: () => unknown): DirectoryError {
  try {
    action();
  } catch (error) {
    if (error instanceof DirectoryError) return error;
    throw new Error(`expected a DirectoryError, got ${String(error)}`);
  }
  throw new Error("expected a DirectoryError, none was thrown");
}

const withTemplate = (endpoint: keyof MimiDirectory, template: unknown) => ({ ...directory, [endpoint]: template });

describe("parseDirectory (protocol-06 s.5.1)", () => {
  it("reads the draft's example, update{roomId} as written", () => {
    expect(directory).toEqual({
      keyMaterial: "https://mimi.example.com/v1/keyMaterial/{targetUser}",
      update: "https://mimi.example.com/v1/update{roomId}",
      notify: "https://mimi.example.com/v1/notify/{roomId}",
      submitMessage: "https://mimi.example.com/v1/submitMessage/{roomId}",
      groupInfo: "https://mimi.example.com/v1/groupInfo/{roomId}",
      requestConsent: "https://mimi.example.com/v1/requestConsent/{targetUser}",
      updateConsent: "https://mimi.example.com/v1/updateConsent/{requesterUser}",
      identifierQuery: "https://mimi.example.com/v1/identifierQuery/{domain}",
      reportAbuse: "https://mimi.example.com/v1/reportAbuse/{roomId}",
      proxyDownload: "https://mimi.example.com/v1/proxyDownload/{downloadUrl}",
    });
  });

  it("refuses the draft's example as printed (no colon after proxyDownload): it is not JSON", () => {
    const printed = draftExample.replace('"proxyDownload":', '"proxyDownload"');
    expect(() => JSON.parse(printed)).toThrow(SyntaxError);
  });

  it("ignores members it does not know and keeps only the endpoints", () => {
    const parsed = parseDirectory({ ...directory, meta: { termsOfService: "https://mimi.example.com/tos" } });
    expect(parsed).toEqual(directory);
    expect("meta" in parsed).toBe(false);
  });

  it("refuses what is not an object", () => {
    for (const json of [null, [], "https://mimi.example.com", 7]) {
      const error = directoryErrorOf(() => parseDirectory(json));
      expect([error.field, error.message]).toEqual(["", "the directory must be a JSON object"]);
    }
  });

  it("refuses a missing endpoint and one that is not a string", () => {
    const { reportAbuse: _reportAbuse, ...missing } = directory;
    expect(directoryErrorOf(() => parseDirectory(missing)).message).toBe("reportAbuse: missing");
    expect(directoryErrorOf(() => parseDirectory(withTemplate("notify", 42))).message).toBe("notify: must be a string");
  });

  it("requires https", () => {
    for (const template of [
      "http://mimi.example.com/v1/keyMaterial/{targetUser}",
      "mimi://mimi.example.com/v1/keyMaterial/{targetUser}",
    ]) {
      const error = directoryErrorOf(() => parseDirectory(withTemplate("keyMaterial", template)));
      expect(error.field).toBe("keyMaterial");
      expect(error.reason).toBe(`must be an https URL, not ${template.slice(0, template.indexOf(":") + 1)}`);
    }
    for (const [template, reason] of [
      ["/v1/groupInfo/{roomId}", "not an absolute URL"],
      ["{roomId}", "not an absolute URL"],
      ["https://[mimi.example.com/v1/groupInfo/{roomId}", "not a URL"],
    ]) {
      expect(directoryErrorOf(() => parseDirectory(withTemplate("groupInfo", template))).reason).toBe(reason);
    }
    expect(parseDirectory(withTemplate("groupInfo", "HTTPS://mimi.example.com/v1/groupInfo/{roomId}")).groupInfo).toBe(
      "HTTPS://mimi.example.com/v1/groupInfo/{roomId}",
    );
  });

  it("requires exactly the endpoint's variable, once", () => {
    const cases: [keyof MimiDirectory, string, string][] = [
      ["groupInfo", "https://mimi.example.com/v1/groupInfo", "none"],
      ["groupInfo", "https://mimi.example.com/v1/groupInfo/{targetUser}", "{targetUser}"],
      ["updateConsent", "https://mimi.example.com/v1/updateConsent/{targetUser}", "{targetUser}"],
      ["notify", "https://mimi.example.com/v1/notify/{roomId}/{extra}", "{roomId}, {extra}"],
      ["notify", "https://mimi.example.com/v1/notify/{roomId}/{roomId}", "{roomId}, {roomId}"],
      ["identifierQuery", "https://mimi.example.com/v1/identifierQuery/{Domain}", "{Domain}"],
    ];
    for (const [endpoint, template, found] of cases) {
      const error = directoryErrorOf(() => parseDirectory(withTemplate(endpoint, template)));
      expect(error.field).toBe(endpoint);
      expect(error.reason).toMatch(new RegExp(`^must have exactly one expression, \\{\\w+\\}; found ${found}$`));
    }
  });

  it("refuses templates beyond RFC 6570 level 1 and malformed ones", () => {
    const cases: [string, RegExp][] = [
      ["https://mimi.example.com/v1/groupInfo/{+roomId}", /operator \+ .* beyond RFC 6570 level 1/],
      ["https://mimi.example.com/v1/groupInfo{/roomId}", /operator \/ .* beyond RFC 6570 level 1/],
      ["https://mimi.example.com/v1/groupInfo/{roomId,x}", /several variables .* beyond RFC 6570 level 1/],
      ["https://mimi.example.com/v1/groupInfo/{roomId:3}", /modifier .* beyond RFC 6570 level 1/],
      ["https://mimi.example.com/v1/groupInfo/{roomId*}", /modifier .* beyond RFC 6570 level 1/],
      ["https://mimi.example.com/v1/groupInfo/{roomId", /^unclosed expression$/],
      ["https://mimi.example.com/v1/groupInfo/{}", /^invalid expression \{\}$/],
      ["https://mimi.example.com/v1/group-info}/{roomId}", /^invalid character "}"/],
      ["https://mimi.example.com/v1/group info/{roomId}", /^invalid character " "/],
      ["https://mimi.example.com/v1/<groupInfo>/{roomId}", /^invalid character "<"/],
      ["https://mimi.example.com/v1/\u0085/{roomId}", /^invalid character/],
      ["https://mimi.example.com/v1/\ufffe/{roomId}", /^invalid character/],
      ["https://mimi.example.com/v1/\ud800/{roomId}", /^invalid character/],
      ["https://mimi.example.com/v1/%zz/{roomId}", /^a % in a literal must start a pct-encoded octet/],
      ["https://mimi.example.com/v1/%2/{roomId}", /^a % in a literal must start a pct-encoded octet/],
    ];
    for (const [template, reason] of cases) {
      const error = directoryErrorOf(() => parseDirectory(withTemplate("groupInfo", template)));
      expect(error.field).toBe("groupInfo");
      expect(error.reason).toMatch(reason);
    }
  });

  it("refuses a variable in the scheme or authority, where a value could redirect the request", () => {
    for (const template of [
      "https://{roomId}/v1/groupInfo",
      "https://mimi.example.com{roomId}",
      "https://mimi.example.com:{roomId}/v1",
    ]) {
      const error = directoryErrorOf(() => parseDirectory(withTemplate("groupInfo", template)));
      expect([error.field, error.reason]).toEqual(["groupInfo", "{roomId} must come after the host"]);
    }
    const inQuery = withTemplate("groupInfo", "https://mimi.example.com/v1/groupInfo?room={roomId}");
    expect(parseDirectory(inQuery).groupInfo).toBe("https://mimi.example.com/v1/groupInfo?room={roomId}");
  });
});

describe("expandEndpoint (RFC 6570 s.3.2.2 simple expansion)", () => {
  it("percent-encodes a mimi:// room URI into one path segment", () => {
    expect(expandEndpoint(directory, "groupInfo", "mimi://a.example/r/clubhouse")).toBe(
      "https://mimi.example.com/v1/groupInfo/mimi%3A%2F%2Fa.example%2Fr%2Fclubhouse",
    );
    expect(expandEndpoint(directory, "update", "mimi://a.example/r/clubhouse")).toBe(
      "https://mimi.example.com/v1/updatemimi%3A%2F%2Fa.example%2Fr%2Fclubhouse",
    );
  });

  it("keeps only the unreserved characters, and encodes UTF-8 bytes", () => {
    expect(expandEndpoint(directory, "identifierQuery", "AZaz09-._~")).toBe(
      "https://mimi.example.com/v1/identifierQuery/AZaz09-._~",
    );
    expect(expandEndpoint(directory, "keyMaterial", " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}")).toBe(
      "https://mimi.example.com/v1/keyMaterial/%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D",
    );
    expect(expandEndpoint(directory, "requestConsent", "mimi://b.example/u/zoë")).toBe(
      "https://mimi.example.com/v1/requestConsent/mimi%3A%2F%2Fb.example%2Fu%2Fzo%C3%AB",
    );
  });

  it("copies pct-encoded literals and percent-encodes non-ASCII ones", () => {
    const localized = parseDirectory(withTemplate("notify", "https://mimi.example.com/v1/r%C3%A4ume/räume/{roomId}"));
    expect(expandEndpoint(localized, "notify", "r")).toBe("https://mimi.example.com/v1/r%C3%A4ume/r%C3%A4ume/r");
  });

  it("nests a download URL, query and all", () => {
    expect(expandEndpoint(directory, "proxyDownload", "https://c.example/assets/a1?v=2#x")).toBe(
      "https://mimi.example.com/v1/proxyDownload/https%3A%2F%2Fc.example%2Fassets%2Fa1%3Fv%3D2%23x",
    );
  });

  it("refuses a value that is not well-formed Unicode, and a template parseDirectory would refuse", () => {
    expect(directoryErrorOf(() => expandEndpoint(directory, "notify", "room\ud800")).field).toBe("notify");
    const unchecked = { ...directory, notify: "http://mimi.example.com/v1/notify/{roomId}" };
    expect(directoryErrorOf(() => expandEndpoint(unchecked, "notify", "r")).reason).toMatch(/https/);
  });
});

describe("directoryFor", () => {
  it("builds every endpoint under the base URL, with the variable each takes", () => {
    const built = directoryFor("https://hub.example/mimi/v1/");
    expect(built).toEqual({
      keyMaterial: "https://hub.example/mimi/v1/keyMaterial/{targetUser}",
      update: "https://hub.example/mimi/v1/update/{roomId}",
      notify: "https://hub.example/mimi/v1/notify/{roomId}",
      submitMessage: "https://hub.example/mimi/v1/submitMessage/{roomId}",
      groupInfo: "https://hub.example/mimi/v1/groupInfo/{roomId}",
      requestConsent: "https://hub.example/mimi/v1/requestConsent/{targetUser}",
      updateConsent: "https://hub.example/mimi/v1/updateConsent/{requesterUser}",
      identifierQuery: "https://hub.example/mimi/v1/identifierQuery/{domain}",
      reportAbuse: "https://hub.example/mimi/v1/reportAbuse/{roomId}",
      proxyDownload: "https://hub.example/mimi/v1/proxyDownload/{downloadUrl}",
    });
    expect(parseDirectory(JSON.parse(JSON.stringify(built)))).toEqual(built);
    expect(expandEndpoint(built, "update", "mimi://hub.example/r/x")).toBe(
      "https://hub.example/mimi/v1/update/mimi%3A%2F%2Fhub.example%2Fr%2Fx",
    );
  });

  it("refuses a base URL that is not https, has a query or fragment, or cannot start a template", () => {
    const cases: [string, RegExp][] = [
      ["http://hub.example", /https/],
      ["hub.example", /^not a URL$/],
      ["https://hub.example/mimi?x=1", /query or fragment/],
      ["https://hub.example/mimi#top", /query or fragment/],
      ["https://hub.example/{x}", /expression/],
    ];
    for (const [baseUrl, reason] of cases) {
      const error = directoryErrorOf(() => directoryFor(baseUrl));
      expect(error.field).toBe("baseUrl");
      expect(error.reason).toMatch(reason);
    }
  });

  it("names the well-known path of the directory", () => {
    expect(new URL(DIRECTORY_WELL_KNOWN_PATH, "https://b.example").href).toBe(
      "https://b.example/.well-known/mimi-protocol-directory",
    );
  });
});

describe("DirectoryError", () => {
  it("is an Error naming the member", () => {
    const error = directoryErrorOf(() => parseDirectory(withTemplate("update", "http://x.example/{roomId}")));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("DirectoryError");
    expect(error.message).toBe("update: must be an https URL, not http:");
  });
});
