/**
 * Throughput of the validating codec against plain cbor-x on the working
 * group's example corpus, measured in the same run (`pnpm bench`). Target
 * (issue #2): the validating codec at least half as fast as plain cbor-x.
 */

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Decoder, Encoder } from "cbor-x";
import { decode, encode, escapeHtmlTags, messageIdOf } from "../src/index.js";

const vectorDir = fileURLToPath(new URL("../vectors/", import.meta.url));
const corpus = readdirSync(vectorDir)
  .filter((file) => file.endsWith(".cbor") && !file.startsWith("implied"))
  .map((file) => new Uint8Array(readFileSync(vectorDir + file)));

const cborX = new Encoder({ useRecords: false, mapsAsObjects: false, variableMapSize: true, tagUint8Array: false });
const cborXDecoder = new Decoder({ useRecords: false, mapsAsObjects: false });
const messages = corpus.map((bytes) => decode(bytes));
const plainObjects = corpus.map((bytes) => cborXDecoder.decode(bytes));

// "The same objects": plain cbor-x must produce the same bytes from its own decoding.
for (const [i, plain] of plainObjects.entries()) {
  if (Buffer.compare(cborX.encode(plain), corpus[i] as Uint8Array) !== 0) {
    throw new Error(`cbor-x does not reproduce example ${i}; the comparison would be unfair`);
  }
}

const ROUNDS = 7;
const ROUND_NS = 300_000_000n;

/** Messages per second of one timed round: passes over the corpus for about 0.3 s. */
function round(pass: () => void): number {
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < ROUND_NS) {
    for (let i = 0; i < 50; i++) pass();
    passes += 50;
    elapsed = process.hrtime.bigint() - start;
  }
  return (passes * corpus.length) / (Number(elapsed) / 1e9);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * Ours and the baseline alternate round by round, so both see the same
 * machine load; the ratio reported is the median of the per-round ratios.
 */
function compare(ours: () => void, baseline: () => void): { ours: number; baseline: number; ratio: number } {
  for (let i = 0; i < 500; i++) {
    ours();
    baseline();
  }
  const oursRounds: number[] = [];
  const baselineRounds: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    oursRounds.push(round(ours));
    baselineRounds.push(round(baseline));
  }
  return {
    ours: median(oursRounds),
    baseline: median(baselineRounds),
    ratio: median(oursRounds.map((value, i) => value / (baselineRounds[i] as number))),
  };
}

let sink = 0;
const decoding = compare(
  () => {
    for (const bytes of corpus) sink += decode(bytes).salt.length;
  },
  () => {
    for (const bytes of corpus) sink += (cborXDecoder.decode(bytes) as unknown[]).length;
  },
);
const encoding = compare(
  () => {
    for (const message of messages) sink += encode(message).length;
  },
  () => {
    for (const plain of plainObjects) sink += cborX.encode(plain).length;
  },
);
const identifying = median(
  Array.from({ length: ROUNDS }, () =>
    round(() => {
      for (const [i, message] of messages.entries()) {
        sink += messageIdOf(message, { encoded: corpus[i] as Uint8Array })[0] as number;
      }
    }),
  ),
);

// escapeHtmlTags on input built so that every escape reveals another HTML block
// (it was quadratic once: 10 kB took 45 s).
const adversarial = `${"<div>\n".repeat(2000)}<b> a < b`;
const escapeStart = process.hrtime.bigint();
sink += escapeHtmlTags(adversarial).length;
const escapeMs = Number(process.hrtime.bigint() - escapeStart) / 1e6;

const format = (perSecond: number) => `${Math.round(perSecond).toLocaleString("en-US")} msg/s`.padStart(16);
console.log(
  `@mimi-ts/content codec: ${corpus.length} example messages, Node ${process.version}, median of ${ROUNDS} rounds`,
);
console.log(
  `decode      ${format(decoding.ours)}   cbor-x ${format(decoding.baseline)}   ratio ${decoding.ratio.toFixed(2)}`,
);
console.log(
  `encode      ${format(encoding.ours)}   cbor-x ${format(encoding.baseline)}   ratio ${encoding.ratio.toFixed(2)}`,
);
console.log(`message ID  ${format(identifying)}`);
console.log(`escapeHtmlTags on ${adversarial.length} bytes of nested HTML blocks: ${escapeMs.toFixed(0)} ms`);
const met = decoding.ratio >= 0.5 && encoding.ratio >= 0.5;
console.log(`target: validating codec >= 0.50 x plain cbor-x for encode and decode: ${met ? "met" : "NOT met"}`);
if (sink === -1) console.log("unreachable: keeps the results alive");
