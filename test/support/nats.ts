/**
 * Test helpers for the NATS bridge: is a server there, unique names, how to poll (NATS_POLL),
 * bridged buses of one test file, the JetStream manager for a moment, a bus in a child process, a private nats-server that a test may stop and start, and the
 * transport contract's network on NATS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { EventBus, type BusError } from "../../src/index.js";
import { NatsTransport, type NatsTransportOptions } from "../../src/transport/nats.js";
import { until } from "./async.js";
import type { ContractNetwork } from "./transport-contract.js";

export const NATS_URL = process.env["NATS_URL"] ?? "127.0.0.1:4222";
export const NATS_SERVER_BIN = process.env["NATS_SERVER_BIN"] ?? "/usr/sbin/nats-server";

/** Whether a NATS server answers at `url`. */
export async function natsAnswers(url = NATS_URL): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 1000 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

/** True when the NATS tests should run: a server answers, or CI=true (where they must run, and fail without one). */
export async function natsTestsEnabled(file: string): Promise<boolean> {
  if (await natsAnswers()) return true;
  if (process.env["CI"] === "true") return true;
  console.warn(
    `[${file}] SKIPPED: no NATS server answers at ${NATS_URL} (start nats-server -js, or set NATS_URL). Under CI=true these tests run and fail instead.`,
  );
  return false;
}

let counter = 0;
/** A name no other test run uses: letters and digits only, valid as stream, durable and subject token. */
export function uniqueName(tag: string): string {
  return `${tag}${process.pid}x${Date.now().toString(36)}x${(counter++).toString(36)}`;
}

/** How the NATS suites poll with `until`: a 15 s deadline (a busy machine, a server to answer), every 10 ms. */
export const NATS_POLL = { timeoutMs: 15_000, intervalMs: 10 } as const;

/** Deletes streams, ignoring ones already gone. */
export async function deleteStreams(url: string, ...streams: string[]): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false });
  const jsm = await jetstreamManager(nc);
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
  await nc.close();
}

export async function rawConnection(url = NATS_URL): Promise<NatsConnection> {
  return connect({ servers: url });
}

/** Runs `work` with a JetStream manager on a connection of its own, closed after. */
export async function withJetStream<T>(work: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await rawConnection();
  try {
    return await work(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

/**
 * The buses and streams of one test file: `names()` gives a fresh prefix and its stream,
 * `bridged()` a bus bridged to NATS_URL whose errors go to `errors`; `cleanup()` (in afterAll)
 * closes the buses (those given to `keep()` too) and deletes the streams.
 */
export function natsBuses(tag: string): {
  names(): { prefix: string; stream: string };
  bridged(nodeId: string, options: Omit<NatsTransportOptions, "servers">, errors?: BusError[]): Promise<EventBus>;
  /** A bus the test bridges itself, to be closed by cleanup() too. */
  keep(bus: EventBus): EventBus;
  cleanup(enabled: boolean): Promise<void>;
} {
  const streams: string[] = [];
  const buses: EventBus[] = [];
  return {
    names() {
      const prefix = uniqueName(tag);
      const stream = prefix.toUpperCase();
      streams.push(stream);
      return { prefix, stream };
    },
    async bridged(nodeId, options, errors = []) {
      const bus = new EventBus({ nodeId, onError: (e) => errors.push(e) });
      buses.push(bus);
      await bus.bridge(new NatsTransport({ servers: NATS_URL, ...options }));
      return bus;
    },
    keep(bus) {
      buses.push(bus);
      return bus;
    },
    async cleanup(enabled) {
      await Promise.all(buses.map((b) => b.close()));
      if (enabled) await deleteStreams(NATS_URL, ...streams);
    },
  };
}

// ---- a bus in a child process --------------------------------------------------------------

const FIXTURE = fileURLToPath(new URL("./scripts/bus-node.mjs", import.meta.url));

export interface ChildLine {
  kind: string;
  [key: string]: unknown;
}

export class ChildBus {
  readonly lines: ChildLine[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private exited = false;

  constructor(config: { nodeId: string; transport: Record<string, unknown> }) {
    this.child = spawn(process.execPath, [FIXTURE, JSON.stringify(config)], { stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.lines.push(JSON.parse(line) as ChildLine));
    this.child.stderr!.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.child.on("exit", () => {
      this.exited = true;
    });
  }

  /** Events its "*" subscription saw. */
  events(): ChildLine[] {
    return this.lines.filter((l) => l.kind === "event");
  }

  async next(kind: string, after = 0, timeoutMs = 15_000): Promise<ChildLine> {
    let found: ChildLine | undefined;
    await until(
      () => {
        if (this.exited && found === undefined) {
          found = this.lines.slice(after).find((l) => l.kind === kind);
          if (found === undefined) throw new Error(`child exited before "${kind}": ${this.stderr.join("")}`);
        }
        found = this.lines.slice(after).find((l) => l.kind === kind);
        return found !== undefined;
      },
      { ...NATS_POLL, timeoutMs, message: `child line "${kind}" (stderr: ${this.stderr.join("").slice(0, 500)})` },
    );
    return found!;
  }

  ready(): Promise<ChildLine> {
    return this.next("ready");
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  async emit(type: string, count: number, tag: string): Promise<{ ids: string[]; failed: unknown[] }> {
    const mark = this.lines.length;
    this.send({ cmd: "emit", type, count, tag });
    const line = await this.next("emitted", mark);
    return line as unknown as { ids: string[]; failed: unknown[] };
  }

  async close(): Promise<ChildLine> {
    const mark = this.lines.length;
    this.send({ cmd: "close" });
    const line = await this.next("closed", mark);
    await until(() => this.exited, { ...NATS_POLL, message: "child exit" });
    return line;
  }

  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }
}

// ---- a private nats-server ------------------------------------------------------------------

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A nats-server with JetStream on its own port and store directory; stop() and start() it at will. */
export class PrivateNatsServer {
  readonly storeDir = mkdtempSync(join(tmpdir(), "nats-bridge-test-"));
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the server unless it is running. */
  async start(): Promise<void> {
    if (this.process !== null && this.process.exitCode === null) return;
    const child = spawn(NATS_SERVER_BIN, ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.storeDir], {
      stdio: "ignore",
    });
    this.process = child;
    await until(() => portAnswers(this.port), { ...NATS_POLL, message: `nats-server on port ${this.port}` });
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child === null) return;
    this.process = null;
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

// ---- the transport contract on NATS -------------------------------------------------------

/**
 * A ContractNetwork on the NATS server at NATS_URL: its own subject prefix and JetStream stream
 * (names no other test uses), each peer with its own durable consumer; dispose() deletes the stream.
 */
export function natsContractNetwork(): ContractNetwork {
  const prefix = uniqueName("contract");
  const stream = prefix.toUpperCase();
  let peers = 0;
  /** Durables of the peers that attached (a transport that was refused has no consumer). */
  const attached: string[] = [];
  const withManager = async <T>(fn: (jsm: JetStreamManager) => Promise<T>): Promise<T> => {
    const nc = await rawConnection();
    try {
      return await fn(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
  };
  return {
    transport(options = {}) {
      const durable = `peer${peers++}`;
      const inner = new NatsTransport({
        servers: NATS_URL,
        prefix,
        stream,
        durable,
        ...(options.export === undefined ? {} : { export: options.export }),
      });
      return {
        async attach(host) {
          const link = await inner.attach(host);
          attached.push(durable);
          return link;
        },
      };
    },
    async settle() {
      if (attached.length === 0) return;
      await until(
        () =>
          withManager(async (jsm) => {
            for (const durable of attached) {
              const info = await jsm.consumers.info(stream, durable);
              if (info.num_ack_pending !== 0 || info.num_pending !== 0) return false;
            }
            return true;
          }),
        { ...NATS_POLL, message: `every consumer of ${stream} acked all it was sent` },
      );
    },
    async carried() {
      return withManager(async (jsm) => {
        const info = await jsm.streams.info(stream).catch(() => null);
        if (info === null) return [];
        const ids: string[] = [];
        for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
          const msg = await jsm.streams.getMessage(stream, { seq });
          if (msg !== null) ids.push(msg.json<{ event_id: string }>().event_id);
        }
        return ids;
      });
    },
    dispose: () => deleteStreams(NATS_URL, stream),
  };
}
