import {
  type CiphersuiteImpl,
  type CiphersuiteName,
  ciphersuites,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
} from "ts-mls";

const implementations = new Map<string, Promise<CiphersuiteImpl | undefined>>();

/**
 * ts-mls's implementation of an MLS cipher suite (RFC 9420 s.5.1), or
 * undefined when ts-mls does not know the suite or this installation lacks
 * what it needs (X448 suites want optional packages). Built once per suite.
 */
export function ciphersuiteImplementation(name: string): Promise<CiphersuiteImpl | undefined> {
  let implementation = implementations.get(name);
  if (implementation === undefined) {
    implementation = Object.hasOwn(ciphersuites, name)
      ? getCiphersuiteImpl(getCiphersuiteFromName(name as CiphersuiteName)).catch(() => undefined)
      : Promise.resolve(undefined);
    implementations.set(name, implementation);
  }
  return implementation;
}
