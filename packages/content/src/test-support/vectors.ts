import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The working group's content examples, shared by the whole project. */
export const VECTOR_DIR = fileURLToPath(new URL("../../vectors/", import.meta.url));

export interface ContentVector {
  name: string;
  cbor: Uint8Array;
  edn: string;
}

export function contentVectors(): ContentVector[] {
  return readdirSync(VECTOR_DIR)
    .filter((file) => file.endsWith(".cbor"))
    .sort()
    .map((file) => {
      const name = file.slice(0, -".cbor".length);
      return {
        name,
        cbor: new Uint8Array(readFileSync(join(VECTOR_DIR, file))),
        edn: readFileSync(join(VECTOR_DIR, `${name}.edn`), "utf8"),
      };
    });
}

/** The message ID an example's annotation gives (`# message ID = h'...'` over two comment lines). */
export function annotatedMessageId(edn: string): string | undefined {
  const match = /# message ID = h'([0-9a-f]+)\s*\n#\s+([0-9a-f]+)'/.exec(edn);
  return match === null ? undefined : `${match[1]}${match[2]}`;
}

/** The hub timestamp an example's annotation gives (`# timestamp  = <ms> = ...`). */
export function annotatedTimestamp(edn: string): number | undefined {
  const match = /# timestamp\s+=\s+(\d+)/.exec(edn);
  return match === null ? undefined : Number(match[1]);
}

/** The message ID in the implied-fields example's EDN (`h'...'` over two lines after `/ messageId`). */
export function annotatedDerivedMessageId(edn: string): string | undefined {
  const match = /messageId[^\n]*\n\s*h'([0-9a-f]+)\s*\n\s*([0-9a-f]+)'/.exec(edn);
  return match === null ? undefined : `${match[1]}${match[2]}`;
}
