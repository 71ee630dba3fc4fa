import { decode, encode } from "@mimi-ts/codec";
import { describe, expect, it } from "vitest";
import { ComponentId } from "./constants.js";
import {
  type AssetPolicy,
  AssetUploadLocation,
  assetPolicy,
  type BaseRoomPolicy,
  type Bot,
  baseRoomPolicy,
  bool,
  bot,
  botPolicy,
  DownloadPrivacyType,
  type HistoryPolicy,
  historyPolicy,
  joinLink,
  joinLinkPolicy,
  joinLinksData,
  joinLinksUpdate,
  type LinkPreviewPolicy,
  type LoggingPolicy,
  linkPreviewPolicy,
  loggingPolicy,
  type MessageExpiration,
  mediaType,
  messageExpiration,
  Optionality,
  optionality,
  statusNotificationPolicy,
} from "./roomPolicy.js";
import { codecErrorOf, expectWire, hex, wire } from "./test-support/wire.js";

const text = (value: string) => new TextEncoder().encode(value);

describe("bool (room-policy-03 s.5)", () => {
  it("is enum { false(0), true(1) } in a uint8, held as a boolean", () => {
    expectWire(bool, false, "00");
    expectWire(bool, true, "01");
  });

  it("refuses any other octet, and values that are not booleans", () => {
    for (const octet of ["02", "ff"]) {
      const error = codecErrorOf(() => decode(bool, hex(octet)));
      expect([error.struct, error.reason]).toEqual(["bool", `unknown bool value ${Number.parseInt(octet, 16)}`]);
    }
    expect(codecErrorOf(() => encode(bool, 1 as unknown as boolean)).reason).toBe("expected a boolean, found number");
  });

  it("names the struct and field of a bad bool", () => {
    const error = codecErrorOf(() => decode(joinLinkPolicy, hex("02 00 00 00000000")));
    expect([error.struct, error.field, error.reason]).toEqual(["JoinLinkPolicy", "onRequest", "unknown bool value 2"]);
  });
});

describe("Optionality and StatusNotificationPolicy (room-policy-03 s.6.1)", () => {
  it("is optional(0), required(1), forbidden(2) in a uint8", () => {
    expectWire(optionality, Optionality.optional, "00");
    expectWire(optionality, Optionality.required, "01");
    expectWire(optionality, Optionality.forbidden, "02");
    expectWire(
      statusNotificationPolicy,
      { deliveryNotifications: Optionality.required, readReceipts: Optionality.forbidden },
      "0102",
    );
  });

  it("refuses other values", () => {
    const error = codecErrorOf(() => decode(statusNotificationPolicy, hex("00 03")));
    expect([error.struct, error.field, error.reason]).toEqual([
      "StatusNotificationPolicy",
      "readReceipts",
      "unknown Optionality value 3",
    ]);
  });
});

describe("BaseRoomPolicy (room-policy-03 s.5)", () => {
  const club = "mimi://a.example/r/club"; // 23 bytes
  const policy: BaseRoomPolicy = {
    fixedMembership: false,
    parentDependent: true,
    parentRoom: [club],
    multiDevice: true,
    maxClients: 100,
    maxUsers: undefined,
    pseudonymsAllowed: false,
    persistentRoom: true,
    discoverable: false,
    policyComponentIds: [ComponentId.rolesList, ComponentId.baseRoomPolicy],
  };

  it("reads Uri parent_room<V> as a vector of Uri, optional uint32 as optional<uint32>, ids as uint16", () => {
    expectWire(baseRoomPolicy, policy, wire`00 01 18 17 ${club} 01 01 00000064 00 00 01 00 04 0025 0027`);
  });

  it("has a zero-length parent_room when the room is not parent-dependent", () => {
    const standalone = { ...policy, parentDependent: false, parentRoom: [], maxUsers: 20 };
    expectWire(baseRoomPolicy, standalone, wire`00 00 00 01 01 00000064 01 00000014 00 01 00 04 0025 0027`);
  });

  it("requires exactly the parent's Uri when parent-dependent, and none otherwise, both ways", () => {
    const missing = codecErrorOf(() => decode(baseRoomPolicy, hex("00 01 00 01 00 00 00 00 00 00")));
    expect([missing.struct, missing.field]).toEqual(["BaseRoomPolicy", "parentRoom"]);
    const two = codecErrorOf(() => encode(baseRoomPolicy, { ...policy, parentRoom: [club, club] }));
    expect([two.struct, two.field]).toEqual(["BaseRoomPolicy", "parentRoom"]);
    const stray = codecErrorOf(() => decode(baseRoomPolicy, hex(wire`00 00 18 17 ${club} 01 00 00 00 00 00 00`)));
    expect([stray.struct, stray.field]).toEqual(["BaseRoomPolicy", "parentRoom"]);
    expect(() => encode(baseRoomPolicy, { ...policy, parentDependent: false })).toThrow(/zero-length/);
  });

  it("refuses a bad presence octet and a truncated list of ids", () => {
    const presence = codecErrorOf(() => decode(baseRoomPolicy, hex("00 00 00 01 02 00 00 00 00 00")));
    expect([presence.struct, presence.field]).toEqual(["BaseRoomPolicy", "maxClients"]);
    const truncated = codecErrorOf(() => decode(baseRoomPolicy, hex("00 00 00 01 00 00 00 00 00 04 0025")));
    expect([truncated.struct, truncated.field, truncated.reason]).toEqual([
      "BaseRoomPolicy",
      "policyComponentIds",
      "length past the end",
    ]);
  });
});

describe("join links (room-policy-03 s.6.2)", () => {
  it("lays out JoinLinkPolicy as bool, Uri, bool, uint32", () => {
    const policy = { onRequest: true, joinLink: "https://a.example/join", multiuser: false, expiration: 86_400 };
    expectWire(joinLinkPolicy, policy, wire`01 16 ${"https://a.example/join"} 00 00015180`);
  });

  it("reads JoinLink's `opaque join_link;` as opaque join_link<V>", () => {
    expectWire(joinLink, { joinLink: text("abc") }, "03616263");
  });

  it("reads JoinLinksData as a bare vector of JoinLink", () => {
    expectWire(joinLinksData, [{ joinLink: text("abc") }, { joinLink: new Uint8Array() }], wire`05 03616263 00`);
    expectWire(joinLinksData, [], "00");
    const error = codecErrorOf(() => decode(joinLinksData, hex("05 03616263")));
    expect([error.struct, error.reason]).toEqual(["JoinLinksData", "length past the end"]);
  });

  it("lays out JoinLinksUpdate as uint32 removedIndices<V>, then JoinLink added_links<V>", () => {
    expectWire(
      joinLinksUpdate,
      { removedIndices: [0], addedLinks: [{ joinLink: text("xy") }] },
      wire`04 00000000 03 02 7879`,
    );
  });
});

describe("LinkPreviewPolicy (room-policy-03 s.6.3)", () => {
  const proxyUri = "https://p.example/"; // 18 bytes
  const policy: LinkPreviewPolicy = {
    autodetectHyperlinksInText: Optionality.optional,
    sendLinkPreviews: Optionality.forbidden,
    automaticLinkPreviews: Optionality.optional,
    proxy: { linkPreviewProxyUse: Optionality.required, linkPreviewProxy: [proxyUri] },
  };

  it("keeps wire order: three Optionality fields, then the tag and its case (`mandatory` is required)", () => {
    expectWire(linkPreviewPolicy, policy, wire`00 02 00 01 13 12 ${proxyUri}`);
    const optionalProxy = {
      ...policy,
      proxy: { linkPreviewProxyUse: Optionality.optional, linkPreviewProxy: [proxyUri] },
    };
    expectWire(linkPreviewPolicy, optionalProxy, wire`00 02 00 00 13 12 ${proxyUri}`);
  });

  it("has nothing after a forbidden tag", () => {
    const noProxy = { ...policy, proxy: { linkPreviewProxyUse: Optionality.forbidden } } as const;
    expectWire(linkPreviewPolicy, noProxy, "00020002");
    const trailing = codecErrorOf(() => decode(linkPreviewPolicy, hex("00 02 00 02 00")));
    expect(trailing.reason).toBe("1 trailing byte");
  });

  it("refuses a mandatory autodetect_hyperlinks_in_text (MUST NOT), both ways", () => {
    const decoding = codecErrorOf(() => decode(linkPreviewPolicy, hex("01 02 00 02")));
    expect([decoding.struct, decoding.field]).toEqual(["LinkPreviewPolicy", "autodetectHyperlinksInText"]);
    const encoding = codecErrorOf(() =>
      encode(linkPreviewPolicy, { ...policy, autodetectHyperlinksInText: Optionality.required }),
    );
    expect([encoding.struct, encoding.field]).toEqual(["LinkPreviewPolicy", "autodetectHyperlinksInText"]);
  });

  it("requires a proxy URI when its use is mandatory or optional (MUST), both ways", () => {
    for (const use of ["00", "01"]) {
      const error = codecErrorOf(() => decode(linkPreviewPolicy, hex(`00 00 00 ${use} 00`)));
      expect([error.struct, error.field]).toEqual(["LinkPreviewPolicy", "proxy.linkPreviewProxy"]);
    }
    const encoding = codecErrorOf(() =>
      encode(linkPreviewPolicy, {
        ...policy,
        proxy: { linkPreviewProxyUse: Optionality.optional, linkPreviewProxy: [] },
      }),
    );
    expect([encoding.struct, encoding.field]).toEqual(["LinkPreviewPolicy", "proxy.linkPreviewProxy"]);
  });

  it("refuses an unknown tag, naming it", () => {
    const error = codecErrorOf(() => decode(linkPreviewPolicy, hex("00 00 00 03")));
    expect([error.struct, error.field, error.reason]).toEqual([
      "LinkPreviewPolicy",
      "linkPreviewProxyUse",
      "unknown Optionality value 3",
    ]);
    expect(error.path).toBe("proxy.linkPreviewProxyUse");
  });
});

describe("AssetPolicy (room-policy-03 s.6.4)", () => {
  const textPlain = {
    type: text("text/plain"),
    parameters: [{ parameterName: text("charset"), parameterValue: text("UTF-8") }],
  };
  const textPlainBytes = wire`0a ${"text/plain"} 0e 07 ${"charset"} 05 ${"UTF-8"}`; // 26 bytes

  const policy: AssetPolicy = {
    assetUploadLocation: AssetUploadLocation.localProvider,
    uploadDomains: [
      { provider: { domain: text("a.example") }, assetUploadDestinations: [{ domain: text("assets.a.example") }] },
    ],
    downloadPrivacy: {
      allowedDownloadTypes: [DownloadPrivacyType.direct, DownloadPrivacyType.ohttp],
      forbiddenDownloadTypes: [DownloadPrivacyType.hubProxy],
      defaultDownloadType: DownloadPrivacyType.ohttp,
    },
    maxImage: 10_000_000n,
    maxAudio: 0n,
    maxVideo: 1n << 32n,
    maxAttachment: (1n << 64n) - 1n,
    forbiddenMediaTypes: [{ type: text("application/x-msdownload"), parameters: [] }],
    permittedMediaTypes: undefined,
  };
  const head = wire`
    01
    1c 09 ${"a.example"} 11 10 ${"assets.a.example"}
    02 00 02  01 01  02
    0000000000989680 0000000000000000 0000000100000000 ffffffffffffffff
    1a 18 ${"application/x-msdownload"} 00`;

  it("writes MediaType as mls-extensions s.6.2 does: opaque type<V>, Parameter parameters<V>", () => {
    expectWire(mediaType, textPlain, textPlainBytes);
  });

  it("reads optional<MediaType> permitted_media_types<V> as an optional vector: absent", () => {
    expectWire(assetPolicy, policy, `${head}00`);
  });

  it("present and empty, or present with entries", () => {
    expectWire(assetPolicy, { ...policy, permittedMediaTypes: [] }, `${head}0100`);
    expectWire(assetPolicy, { ...policy, permittedMediaTypes: [textPlain] }, `${head}011a${textPlainBytes}`);
  });

  it("refuses unknown enum values and a bad presence octet", () => {
    const location = codecErrorOf(() => decode(assetPolicy, hex(`03${head.slice(2)}00`)));
    expect([location.struct, location.field, location.reason]).toEqual([
      "AssetPolicy",
      "assetUploadLocation",
      "unknown AssetUploadLocation value 3",
    ]);
    const downloadType = codecErrorOf(() => decode(assetPolicy, hex(head.replace("020002010102", "020003010102"))));
    expect([downloadType.struct, downloadType.field, downloadType.reason]).toEqual([
      "DownloadPrivacy",
      "allowedDownloadTypes[1]",
      "unknown DownloadPrivacyType value 3",
    ]);
    const presence = codecErrorOf(() => decode(assetPolicy, hex(`${head}02`)));
    expect([presence.struct, presence.field]).toEqual(["AssetPolicy", "permittedMediaTypes"]);
  });

  it("refuses a policy cut inside the sizes", () => {
    const error = codecErrorOf(() => decode(assetPolicy, hex(head.slice(0, head.indexOf("ffffffffffffffff") + 8))));
    expect([error.struct, error.field, error.reason]).toEqual([
      "AssetPolicy",
      "maxAttachment",
      "unexpected end of input",
    ]);
  });
});

describe("LoggingPolicy (room-policy-03 s.6.5)", () => {
  const logger = "mimi://a.example/d/logger/1"; // 27 bytes
  const policyUri = "https://a.example/log.json"; // 26 bytes

  it("has the Uri fields after required (`mandatory`) and optional, nothing after forbidden", () => {
    const required: LoggingPolicy = {
      logging: Optionality.required,
      loggingClients: [logger],
      machineReadablePolicy: policyUri,
      humanReadablePolicy: "",
    };
    expectWire(loggingPolicy, required, wire`01 1c 1b ${logger} 1a ${policyUri} 00`);
    const optional: LoggingPolicy = {
      logging: Optionality.optional,
      loggingClients: [],
      machineReadablePolicy: "",
      humanReadablePolicy: "",
    };
    expectWire(loggingPolicy, optional, "00000000");
    expectWire(loggingPolicy, { logging: Optionality.forbidden }, "02");
  });

  it("refuses an unknown tag and fields after forbidden", () => {
    const tag = codecErrorOf(() => decode(loggingPolicy, hex("03")));
    expect([tag.struct, tag.field, tag.reason]).toEqual(["LoggingPolicy", "logging", "unknown Optionality value 3"]);
    expect(codecErrorOf(() => decode(loggingPolicy, hex("02 00 00 00"))).reason).toBe("3 trailing bytes");
  });
});

describe("HistoryPolicy (room-policy-03 s.6.6)", () => {
  it("has uint32 roles<V>, bool, uint32 after required and optional, nothing after forbidden", () => {
    const optional: HistoryPolicy = {
      historySharing: Optionality.optional,
      rolesThatCanShare: [3, 4],
      automaticallyShare: true,
      maxTimePeriod: 604_800,
    };
    expectWire(historyPolicy, optional, wire`00 08 00000003 00000004 01 00093a80`);
    expectWire(
      historyPolicy,
      { ...optional, historySharing: Optionality.required },
      wire`01 08 00000003 00000004 01 00093a80`,
    );
    expectWire(historyPolicy, { historySharing: Optionality.forbidden }, "02");
  });

  it("refuses a bool that is neither 0 nor 1", () => {
    const error = codecErrorOf(() => decode(historyPolicy, hex("00 00 02 00000000")));
    expect([error.struct, error.field, error.reason]).toEqual([
      "HistoryPolicy",
      "automaticallyShare",
      "unknown bool value 2",
    ]);
  });
});

describe("Bot and BotPolicy (room-policy-03 s.6.7)", () => {
  const poker: Bot = {
    name: text("Poker"),
    description: text("Deals cards"),
    homepage: "https://poker.example/",
    localClientBot: false,
    botRoleIndex: 6,
    canTargetMessageInGroup: true,
    perUserContent: true,
  };
  const pokerBytes = wire`05 ${"Poker"} 0b ${"Deals cards"} 16 ${"https://poker.example/"} 00 00000006 01 01`; // 48 bytes

  it("lays out a Bot as opaque<V>, opaque<V>, Uri, bool, uint32, bool, bool", () => {
    expectWire(bot, poker, pokerBytes);
  });

  it("lays out BotPolicy as a vector of Bot", () => {
    expectWire(botPolicy, { allowedBots: [poker] }, `30${pokerBytes}`);
    expectWire(botPolicy, { allowedBots: [] }, "00");
  });

  it("refuses a homepage that is not UTF-8 and a truncated bot", () => {
    const homepage = codecErrorOf(() => decode(bot, hex("00 00 01 ff 00 00000000 00 00")));
    expect([homepage.struct, homepage.field, homepage.reason]).toEqual(["Bot", "homepage", "invalid UTF-8"]);
    const truncated = codecErrorOf(() => decode(bot, hex(pokerBytes.slice(0, -2))));
    expect([truncated.struct, truncated.field]).toEqual(["Bot", "perUserContent"]);
  });
});

describe("MessageExpiration (room-policy-03 s.6.8)", () => {
  it("has uint32, uint32, optional<uint32> after required and optional, nothing after forbidden", () => {
    const required: MessageExpiration = {
      expiringMessages: Optionality.required,
      minExpirationDuration: 3_600,
      maxExpirationDuration: 604_800,
      defaultExpirationDuration: 86_400,
    };
    expectWire(messageExpiration, required, wire`01 00000e10 00093a80 01 00015180`);
    const optional: MessageExpiration = {
      expiringMessages: Optionality.optional,
      minExpirationDuration: 0,
      maxExpirationDuration: 0xffffffff,
      defaultExpirationDuration: undefined,
    };
    expectWire(messageExpiration, optional, wire`00 00000000 ffffffff 00`);
    expectWire(messageExpiration, { expiringMessages: Optionality.forbidden }, "02");
  });

  it("refuses a bad presence octet and an unknown tag", () => {
    const presence = codecErrorOf(() => decode(messageExpiration, hex("00 00000000 00000000 02")));
    expect([presence.struct, presence.field]).toEqual(["MessageExpiration", "defaultExpirationDuration"]);
    const tag = codecErrorOf(() => decode(messageExpiration, hex("04")));
    expect([tag.struct, tag.field]).toEqual(["MessageExpiration", "expiringMessages"]);
  });
});
