/**
 * The one bus factory of the suites: every bus it makes is closed after each test, also when the
 * test fails, so a failing test never leaves a bus (or its worker threads) open.
 */
import { afterEach } from "vitest";
import { EventBus, type BusError, type BusOptions } from "../../src/index.js";
import { listen, type Report } from "./offload.js";

/** A bus whose onError keeps what it gets, and the reports its offloaded fixture handlers send. */
export interface WatchedBus {
  bus: EventBus;
  errors: BusError[];
  reports: Report[];
}

export interface BusFactory {
  (options?: BusOptions): EventBus;
  /**
   * A bus with an onError that collects (unless `options` brings its own) and a listener of the fixture
   * handlers' reports, closed with the bus.
   */
  watched(options?: BusOptions): WatchedBus;
}

/**
 * Returns a factory of buses that are all closed after each test (call it at the top level of a
 * test file). Close uses a timeout (`closeTimeoutMs`, default 1 000) so a test that leaves a
 * delivery hanging cannot hang the file.
 */
export function useBuses(settings: { closeTimeoutMs?: number } = {}): BusFactory {
  const timeoutMs = settings.closeTimeoutMs ?? 1_000;
  const buses: EventBus[] = [];
  const listeners: (() => void)[] = [];
  afterEach(async () => {
    try {
      await Promise.all(buses.splice(0).map((bus) => bus.close({ timeoutMs })));
    } finally {
      for (const close of listeners.splice(0)) close();
    }
  });
  const newBus = (options?: BusOptions): EventBus => {
    const bus = new EventBus(options);
    buses.push(bus);
    return bus;
  };
  newBus.watched = (options: BusOptions = {}): WatchedBus => {
    const errors: BusError[] = [];
    const bus = newBus({ onError: (e) => errors.push(e), ...options });
    const channel = listen();
    listeners.push(channel.close);
    return { bus, errors, reports: channel.reports };
  };
  return newBus;
}
