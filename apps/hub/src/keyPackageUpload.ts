import { CodecError } from "@mimi-ts/codec";
import type { Hono } from "hono";
import { requireDevice } from "./devices.js";
import { limitBody, MAX_CLIENT_BODY_BYTES, readBinaryBody } from "./httpBodies.js";
import { HttpError } from "./httpErrors.js";
import type { HubEnv } from "./hubEnv.js";
import {
  type AcceptedKeyPackage,
  decodeKeyPackageUpload,
  type KeyPackageBodyForm,
  KeyPackageBodyType,
  KeyPackageError,
  validateKeyPackage,
} from "./keyPackages.js";
import type { HubServices } from "./services.js";

function bodyForm(contentType: string | undefined): KeyPackageBodyForm {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  for (const [form, type] of Object.entries(KeyPackageBodyType)) {
    if (type === mediaType) return form as KeyPackageBodyForm;
  }
  throw new HttpError(
    415,
    `Content-Type must be ${KeyPackageBodyType.mlsMessage} (MLSMessages) or ${KeyPackageBodyType.keyPackage} (KeyPackages)`,
  );
}

/**
 * POST /client/v1/keypackages: the device uploads KeyPackages for others to
 * claim (protocol-06 s.4.3.1). All are checked (see validateKeyPackage)
 * before any is stored: one bad KeyPackage refuses the upload. A KeyPackage
 * already stored (same KeyPackageRef) is counted as a duplicate, not stored
 * again, and never becomes claimable again once claimed.
 * 201 `{stored, duplicates, keyPackageRefs}` (refs as hex, in body order);
 * 400 undecodable or invalid; 401 no device token; 415 other Content-Type.
 */
export function registerKeyPackageUpload(app: Hono<HubEnv>, services: HubServices): void {
  app.post("/client/v1/keypackages", requireDevice(services.store), limitBody(MAX_CLIENT_BODY_BYTES), async (c) => {
    const device = c.get("device");
    const form = bodyForm(c.req.header("content-type"));
    const body = await readBinaryBody(c);
    let decoded: ReturnType<typeof decodeKeyPackageUpload>;
    try {
      decoded = decodeKeyPackageUpload(body, form);
    } catch (error) {
      if (error instanceof CodecError) throw new HttpError(400, error.message);
      throw error;
    }
    const now = services.clock.now();
    const accepted: AcceptedKeyPackage[] = [];
    for (const [index, keyPackage] of decoded.entries()) {
      try {
        accepted.push(await validateKeyPackage(keyPackage, device.clientUri, now));
      } catch (error) {
        if (error instanceof KeyPackageError) throw new HttpError(400, `KeyPackage [${index}]: ${error.message}`);
        throw error;
      }
    }
    const stored = await services.store.transaction(async (tx) => {
      let count = 0;
      for (const keyPackage of accepted) {
        const inserted = await tx.insertKeyPackage({
          ref: keyPackage.ref,
          clientUri: device.clientUri,
          cipherSuite: keyPackage.cipherSuite,
          keyPackage: keyPackage.encoded,
          notBefore: keyPackage.notBefore,
          notAfter: keyPackage.notAfter,
          uploadedAt: now,
        });
        if (inserted) count += 1;
      }
      return count;
    });
    const keyPackageRefs = accepted.map((keyPackage) => Buffer.from(keyPackage.ref).toString("hex"));
    return c.json({ stored, duplicates: accepted.length - stored, keyPackageRefs }, 201);
  });
}
