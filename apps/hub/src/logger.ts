import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger } from "pino";

/**
 * The server's structured logger: one JSON object a line, every line
 * carrying the provider's domain (several providers may share a terminal or
 * a log collector). Writes to stdout unless a destination is given.
 */
export function createLogger(domain: string, level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { domain } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
