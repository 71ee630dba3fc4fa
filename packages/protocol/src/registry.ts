import { abuseStructs } from "./abuse.js";
import { appDataStructs } from "./appData.js";
import { consentStructs } from "./consent.js";
import { fanoutStructs } from "./fanout.js";
import { frankingStructs } from "./franking.js";
import { groupInfoStructs } from "./groupInfo.js";
import { identifierQueryStructs } from "./identifierQuery.js";
import { keyMaterialStructs } from "./keyMaterial.js";
import { operationalPolicyStructs } from "./operationalPolicy.js";
import { participantListStructs } from "./participantList.js";
import { preauthStructs } from "./preauth.js";
import { pseudonymousCredentialStructs } from "./pseudonymousCredential.js";
import { ratchetTreeOptionStructs } from "./ratchetTreeOptions.js";
import { rolesStructs } from "./roles.js";
import { roomMetadataStructs } from "./roomMetadata.js";
import { roomPolicyStructs } from "./roomPolicy.js";
import type { StructEntry } from "./structEntry.js";
import { submitMessageStructs } from "./submitMessage.js";
import { updateStructs } from "./update.js";

/** Every wire struct this package knows, by the name the drafts give it. */
export const structs: readonly StructEntry[] = [
  ...keyMaterialStructs,
  ...updateStructs,
  ...submitMessageStructs,
  ...frankingStructs,
  ...fanoutStructs,
  ...groupInfoStructs,
  ...consentStructs,
  ...identifierQueryStructs,
  ...abuseStructs,
  ...pseudonymousCredentialStructs,
  ...participantListStructs,
  ...roomMetadataStructs,
  ...appDataStructs,
  ...ratchetTreeOptionStructs,
  ...rolesStructs,
  ...preauthStructs,
  ...roomPolicyStructs,
  ...operationalPolicyStructs,
];

const byName = new Map(structs.map((entry) => [entry.name, entry]));

/** The struct of that name, or undefined. */
export function structNamed(name: string): StructEntry | undefined {
  return byName.get(name);
}
