/**
 * The transport contract (test/support/transport-contract.ts) run on every transport: always on
 * the in-memory BusTransport (no server needed; also the publish outcomes only it can be made to
 * answer: async, reject, throw, hang), and on NatsTransport with JetStream when a NATS server
 * answers at NATS_URL. Without one the NATS run is skipped with a warning, except under CI=true,
 * where it runs and fails.
 */
import { describe } from "vitest";
import { memoryNetwork } from "../support/memory-transport.js";
import { natsContractNetwork, natsTestsEnabled } from "../support/nats.js";
import { transportContract } from "../support/transport-contract.js";

transportContract("in-memory BusTransport", memoryNetwork, { faults: true });

const natsEnabled = await natsTestsEnabled("transport/bridge-contract.test.ts");

describe.skipIf(!natsEnabled)("on a NATS server", () => {
  transportContract("NatsTransport (JetStream)", natsContractNetwork);
});
