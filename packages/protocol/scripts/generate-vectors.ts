/**
 * Writes vectors/<Struct>.json for every struct of the registry from the
 * examples in src/test-support/examples/: each vector's field values (as
 * mimi-inspect prints them) and its encoding in hex. The tests check that the
 * committed files still match the codecs.
 *
 *   pnpm --filter @mimi-ts/protocol vectors
 */
import { writeFileSync } from "node:fs";
import { encode } from "@mimi-ts/codec";
import { bytesToHex } from "@noble/hashes/utils.js";
import { toJson } from "../src/json.js";
import { structs } from "../src/registry.js";
import { examplesByStruct } from "../src/test-support/catalog.js";

let written = 0;
for (const entry of structs) {
  const examples = examplesByStruct.get(entry.name);
  if (examples === undefined) throw new Error(`no examples for ${entry.name}`);
  const file = {
    struct: entry.name,
    section: entry.section,
    vectors: examples.map((example) => ({
      description: example.description,
      value: toJson(example.value),
      hex: bytesToHex(encode(entry.codec, example.value)),
    })),
  };
  writeFileSync(new URL(`../vectors/${entry.name}.json`, import.meta.url), `${JSON.stringify(file, null, 2)}\n`);
  written++;
}
console.log(`wrote ${written} vector files`);
