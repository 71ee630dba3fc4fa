import fc from "fast-check";

// Property tests are deterministic in CI: a fixed seed unless FC_SEED asks for
// another (fast-check prints the seed of any failure, so it can be replayed).
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261126) });
