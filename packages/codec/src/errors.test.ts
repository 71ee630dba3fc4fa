import { describe, expect, it } from "vitest";
import { CodecError, relocate, rooted, toCodecError } from "./errors.js";

describe("CodecError", () => {
  it("is an Error whose message reads <struct>.<field>: <reason>", () => {
    const error = new CodecError("length past the end", {
      struct: "KeyMaterialRequest",
      field: "requestingUser",
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("CodecError");
    expect(error.message).toBe("KeyMaterialRequest.requestingUser: length past the end");
    expect(error.path).toBe("requestingUser");
  });

  it("leaves out what it does not know", () => {
    expect(new CodecError("bad").message).toBe("bad");
    expect(new CodecError("bad", { struct: "Frank" }).message).toBe("Frank: bad");
    expect(new CodecError("bad", { field: "[3]" }).message).toBe("[3]: bad");
    expect(new CodecError("bad", { struct: "List", field: "[3]" }).message).toBe("List[3]: bad");
  });

  it("gains a field path on the way out, and keeps the innermost struct once it has one", () => {
    const leaf = new CodecError("unknown Protocol value 7");
    const inItem = relocate(leaf, "[2]");
    const inClient = relocate(relocate(inItem, "keyPackages"), "client", "ClientEntry");
    expect(inClient).toMatchObject({ struct: "ClientEntry", field: "client.keyPackages[2]" });
    const outer = relocate(relocate(inClient, "[0]"), "clients", "KeyMaterialResponse");
    expect(outer).toMatchObject({
      struct: "ClientEntry",
      field: "client.keyPackages[2]",
      path: "clients[0].client.keyPackages[2]",
      message: "ClientEntry.client.keyPackages[2]: unknown Protocol value 7",
    });
    expect(rooted(outer, "Other")).toBe(outer);
    expect(rooted(inItem, "Vector").message).toBe("Vector[2]: unknown Protocol value 7");
  });

  it("replaces anything foreign, keeping it as the cause", () => {
    const foreign = new TypeError("boom");
    const error = toCodecError(foreign);
    expect(error.message).toBe("TypeError: boom");
    expect(error.cause).toBe(foreign);
    expect(toCodecError("text").message).toBe("threw text");
    const relocated = relocate(foreign, "field", "Struct");
    expect(relocated.cause).toBe(foreign);
    expect(relocated.message).toBe("Struct.field: TypeError: boom");
  });
});
