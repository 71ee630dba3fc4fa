import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./retryAfter.js";

const NOW = Date.parse("2026-01-01T00:00:00Z");

describe("parseRetryAfter (RFC 9110 s.10.2.3)", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
  });

  it("reads an HTTP-date as the time left until it", () => {
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:01:30 GMT", NOW)).toBe(90_000);
    expect(parseRetryAfter("Thursday, 01-Jan-26 00:00:10 GMT", NOW)).toBe(10_000);
  });

  it("gives 0 for a date already past", () => {
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", NOW)).toBe(0);
  });

  it("ignores anything else", () => {
    for (const value of [undefined, "", "-5", "1.5", "soon", "Thu, 32 Jan 2026 00:00:00 GMT"]) {
      expect(parseRetryAfter(value, NOW), String(value)).toBeUndefined();
    }
  });
});
