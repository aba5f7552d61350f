/**
 * A private nats-server cluster for tests: `size` servers with JetStream, clustered on loopback
 * (client and route ports picked free on 127.0.0.1, nothing listens elsewhere), configs and store
 * directories in one temp dir. Each server is a child process that a test may SIGKILL (by its
 * pid) and start again on the same store; dispose() ends every one it started and removes the dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { until } from "./async.js";
import { freePort, NATS_POLL, NATS_SERVER_BIN, portAnswers } from "./nats.js";

interface Node {
  readonly name: string;
  readonly port: number;
  readonly config: string;
  process: ChildProcess | null;
}

export class NatsCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "nats-cluster-test-"));
  private readonly nodes: Node[] = [];
  private admin: NatsConnection | null = null;

  private constructor() {}

  /** Starts `size` servers and resolves once JetStream answers (the cluster has a meta leader). */
  static async start(size = 3): Promise<NatsCluster> {
    const cluster = new NatsCluster();
    try {
      await cluster.configure(size);
      await Promise.all(cluster.nodes.map((_, i) => cluster.startNode(i)));
      await cluster.jetStreamReady();
      return cluster;
    } catch (err) {
      await cluster.dispose();
      throw err;
    }
  }

  /** Every server's client URL, for a client that should ride out any one server's death. */
  get urls(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`);
  }

  get names(): string[] {
    return this.nodes.map((n) => n.name);
  }

  /** SIGKILLs server `index` (by its pid) and waits for it to exit. */
  async kill(index: number): Promise<void> {
    const node = this.nodes[index]!;
    const child = node.process;
    node.process = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(child.pid!, "SIGKILL");
    await exited;
  }

  /** Starts server `index` again (same config, same store) and waits for its client port. */
  async startNode(index: number): Promise<void> {
    const node = this.nodes[index]!;
    if (node.process !== null && node.process.exitCode === null) return;
    const child = spawn(NATS_SERVER_BIN, ["-c", node.config], { stdio: "ignore" });
    node.process = child;
    await until(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`nats-server ${node.name} exited with code ${child.exitCode} (config ${node.config})`);
        return portAnswers(node.port);
      },
      { ...NATS_POLL, message: `nats-server ${node.name} on port ${node.port}` },
    );
  }

  /** The index of the server leading `stream` now, or null while it has none (or the answer is late). */
  async streamLeader(stream: string): Promise<number | null> {
    try {
      const info = await (await this.manager()).streams.info(stream);
      const leader = info.cluster?.leader;
      return leader === undefined ? null : this.names.indexOf(leader);
    } catch {
      return null;
    }
  }

  /** Whether `stream` and its consumer `durable` both have a leader that answers. */
  async hasLeaders(stream: string, durable: string): Promise<boolean> {
    try {
      const jsm = await this.manager();
      const [s, c] = await Promise.all([jsm.streams.info(stream), jsm.consumers.info(stream, durable)]);
      return s.cluster?.leader !== undefined && c.cluster?.leader !== undefined;
    } catch {
      return false;
    }
  }

  async dispose(): Promise<void> {
    await this.admin?.close().catch(() => undefined);
    this.admin = null;
    for (let i = 0; i < this.nodes.length; i++) await this.kill(i);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async configure(size: number): Promise<void> {
    const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
    if (new Set(ports).size !== ports.length) throw new Error("freePort returned one port twice: try again");
    for (let i = 0; i < size; i++) {
      const name = `n${i}`;
      const routes = ports.filter((_, j) => j % 2 === 1 && j !== i * 2 + 1).map((p) => `nats-route://127.0.0.1:${p}`);
      const config = join(this.dir, `${name}.conf`);
      writeFileSync(
        config,
        [
          `server_name: ${name}`,
          `listen: "127.0.0.1:${ports[i * 2]}"`,
          `jetstream { store_dir: ${JSON.stringify(join(this.dir, name))} }`,
          `cluster {`,
          `  name: bustest`,
          `  listen: "127.0.0.1:${ports[i * 2 + 1]}"`,
          `  routes: [${routes.map((r) => JSON.stringify(r)).join(", ")}]`,
          `}`,
        ].join("\n"),
      );
      this.nodes.push({ name, port: ports[i * 2]!, config, process: null });
    }
  }

  /** A connection to any live server, with short API timeouts (a leaderless call should not hold a poll up). */
  private async manager(): Promise<JetStreamManager> {
    this.admin ??= await connect({ servers: this.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    return jetstreamManager(this.admin, { timeout: 1000 });
  }

  /** Ready when an R3 stream can be created: a meta leader, and every server known to it. */
  private async jetStreamReady(): Promise<void> {
    const probe = "CLUSTERPROBE";
    await until(
      async () => {
        try {
          const jsm = await this.manager();
          await jsm.streams.add({ name: probe, subjects: ["clusterprobe.>"], num_replicas: this.nodes.length });
          await jsm.streams.delete(probe);
          return true;
        } catch {
          return false;
        }
      },
      {
        ...NATS_POLL,
        timeoutMs: 30_000,
        message: `JetStream on the cluster (a meta leader and ${this.nodes.length} peers)`,
      },
    );
  }
}
