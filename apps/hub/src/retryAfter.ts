/**
 * RFC 9110 s.10.2.3 Retry-After: delay-seconds (a non-negative integer) or
 * an HTTP-date (IMF-fixdate, or the obsolete RFC 850 form).
 * Returns the delay in milliseconds from `now` (0 for a date in the past),
 * or undefined when the value is neither.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its weekday first and its zone as GMT; Date.parse alone would accept "1" or "2025".
  if (!/^[A-Za-z]{3,9}, .*GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
