import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import {
  attachment,
  conferencing,
  deleteMessage,
  edit,
  expiring,
  GFM_MIMI,
  mention,
  original,
  PLAIN_TEXT,
  reaction,
  reply,
  topic,
  unlike,
} from "./builders.js";
import { decode, encode } from "./codec.js";
import { ContentError } from "./errors.js";
import { encryptExternalContent } from "./external.js";
import { parseGfmMimi } from "./gfm.js";
import { analyzeLinks } from "./links.js";
import { messageIdOf } from "./messageId.js";
import { contentVectors } from "./test-support/vectors.js";
import { Disposition, type MimiContent, type NestedPart } from "./types.js";

const vectors = new Map(
  contentVectors()
    .filter((vector) => !vector.name.startsWith("implied"))
    .map((vector) => [vector.name, decode(vector.cbor)]),
);
const example = (name: string): MimiContent => {
  const message = vectors.get(name);
  if (message === undefined) throw new Error(`no example ${name}`);
  return message;
};
const text = (part: NestedPart): string =>
  part.cardinality === "single" ? new TextDecoder().decode(part.content) : "(not a single part)";
/** The sender, room and salt of an example, so a built message can be compared with it byte for byte. */
const like = (name: string) => {
  const message = example(name);
  return {
    salt: message.salt,
    senderUri: message.extensions.get(1) as string,
    roomUri: message.extensions.get(2) as string,
  };
};
const same = (built: MimiContent, name: string) =>
  expect(bytesToHex(encode(built))).toBe(bytesToHex(encode(example(name))));

describe("builders reproduce the working group's examples byte for byte", () => {
  const originalId = messageIdOf(example("original"));
  const replyId = messageIdOf(example("reply"));
  const reactionId = messageIdOf(example("reaction"));

  it("original", () => same(original(text(example("original").nestedPart), like("original")), "original"));
  it("reply", () => same(reply(originalId, text(example("reply").nestedPart), like("reply")), "reply"));
  it("reaction", () => same(reaction(originalId, "\u2764", like("reaction")), "reaction"));
  it("edit", () =>
    same(edit(replyId, text(example("edit").nestedPart), { ...like("edit"), inReplyTo: originalId }), "edit"));
  it("delete", () => same(deleteMessage(replyId, { ...like("delete"), inReplyTo: originalId }), "delete"));
  it("unlike", () => same(unlike(reactionId, { ...like("unlike"), inReplyTo: originalId }), "unlike"));
  it("expiring", () => {
    const expires = example("expiring").expires;
    if (expires === null) throw new Error("the example expires");
    same(expiring(text(example("expiring").nestedPart), expires, like("expiring")), "expiring");
  });
  it("mention", () =>
    same(
      mention(
        [
          "Kudos to ",
          { user: "mimi://example.com/u/alice-smith", display: "@Alice Smith" },
          " for making the release happen!",
        ],
        { ...like("mention"), inReplyTo: originalId },
      ),
      "mention",
    ));
  it("attachment", () => {
    const part = example("attachment").nestedPart;
    if (part.cardinality !== "external") throw new Error("the example is an external part");
    const built = attachment(
      {
        url: part.url,
        contentType: part.contentType,
        encrypted: part,
        description: part.description,
        filename: part.filename,
        language: part.language,
      },
      like("attachment"),
    );
    same(built, "attachment");
  });
  it("conferencing", () => {
    const part = example("conferencing").nestedPart;
    if (part.cardinality !== "external") throw new Error("the example is an external part");
    same(
      conferencing(
        { url: part.url, description: part.description },
        { ...like("conferencing"), topicId: example("conferencing").topicId },
      ),
      "conferencing",
    );
  });
});

describe("builders", () => {
  it("escape every HTML tag of GFM-MIMI text (content-08 s.7.1.1) but not of plain text", () => {
    const markdown = original("<b>bold</b> and <script>alert(1)</script>");
    expect(text(markdown.nestedPart)).toBe("&lt;b>bold&lt;/b> and &lt;script>alert(1)&lt;/script>");
    const plain = original("<b>bold</b>", { contentType: PLAIN_TEXT });
    expect(text(plain.nestedPart)).toBe("<b>bold</b>");
  });

  it("leave Markdown that has no HTML as it is", () => {
    const source = "| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] not yet\n\n~~gone~~ `<code>`";
    expect(text(original(source).nestedPart)).toBe(source);
  });

  it("make fresh random salts", () => {
    expect(bytesToHex(original("x").salt)).not.toBe(bytesToHex(original("x").salt));
    expect(original("x").salt).toHaveLength(16);
  });

  it("put sender and room in extension keys 1 and 2 beside other extensions", () => {
    const message = original("hi", {
      senderUri: "mimi://a.example/u/alice",
      roomUri: "mimi://a.example/r/club",
      extensions: new Map([[-7, "private"]]),
    });
    expect([...decode(encode(message)).extensions]).toEqual([
      [1, "mimi://a.example/u/alice"],
      [2, "mimi://a.example/r/club"],
      [-7, "private"],
    ]);
  });

  it("mark mentions as links that link analysis sees as mentions", () => {
    const message = mention([
      "hey ",
      { user: "mimi://b.example/u/bob" },
      " and ",
      { user: "mimi://c.example/u/cy", display: "[Cy]" },
    ]);
    const body = text(message.nestedPart);
    expect(body).toBe("hey <mimi://b.example/u/bob> and [\\[Cy\\]](mimi://c.example/u/cy)");
    const links = analyzeLinks(GFM_MIMI, body);
    expect(links.map((link) => [link.kind, link.target])).toEqual([
      ["mention", "mimi://b.example/u/bob"],
      ["mention", "mimi://c.example/u/cy"],
    ]);
    expect(parseGfmMimi(body).children).toHaveLength(1);
  });

  it("refuse a mention target that cannot be a link", () => {
    expect(() => mention([{ user: "not a uri" }])).toThrow(ContentError);
  });

  it("build topics, and encrypted attachments whose fields decrypt the upload", () => {
    const topicId = new TextEncoder().encode("Foo 118");
    expect(decode(encode(topic(topicId, "in the topic"))).topicId).toEqual(topicId);
    const file = new TextEncoder().encode("file contents");
    const { fields } = encryptExternalContent(file);
    const part = decode(
      encode(attachment({ url: "https://a.example/f", contentType: "text/plain", encrypted: fields })),
    ).nestedPart;
    expect(part).toMatchObject({ cardinality: "external", encAlg: 1, hashAlg: 1, disposition: Disposition.attachment });
  });
});
