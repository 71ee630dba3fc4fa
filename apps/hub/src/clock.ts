/** Time as the server sees it, injectable so that tests decide what "now" is. */
export interface Clock {
  /** Milliseconds since the UNIX epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
