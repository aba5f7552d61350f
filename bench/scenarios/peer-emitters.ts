/**
 * The dispatch peers, built the same way for every scenario that compares against them. Only
 * scenarios that list these libraries as peers import this file (see scenarios/index.ts).
 * Each `make*` returns an emitter with `handlers` no-op-ish handlers that bump `counter.n`.
 */
import { EventEmitter as NodeEmitter } from "node:events";
import Emittery from "emittery";
import eventemitter2 from "eventemitter2";
import { EventEmitter as EventEmitter3 } from "eventemitter3";
import mqemitter from "mqemitter";
import * as mittModule from "mitt";
import type { Emitter } from "mitt";
import { counter, TYPE } from "./bus-fixtures.js";

// CommonJS-typed packages: EventEmitter2's class is a property of module.exports, and mitt's
// types describe a CommonJS default that its ESM build exports as `default`.
const { EventEmitter2 } = eventemitter2;
export type Mitt = Emitter<Record<string, unknown>>;
const mitt = mittModule.default as unknown as () => Mitt;

export function makeEmittery(handlers: number): Emittery {
  const e = new Emittery();
  for (let i = 0; i < handlers; i++) e.on(TYPE, () => void counter.n++);
  return e;
}

export function makeEventEmitter2(handlers: number): InstanceType<typeof EventEmitter2> {
  const e = new EventEmitter2({ maxListeners: 0 });
  for (let i = 0; i < handlers; i++) e.on(TYPE, () => void counter.n++);
  return e;
}

export function makeNodeEmitter(handlers: number): NodeEmitter {
  const e = new NodeEmitter();
  e.setMaxListeners(0);
  for (let i = 0; i < handlers; i++) e.on(TYPE, () => void counter.n++);
  return e;
}

export function makeEventEmitter3(handlers: number): EventEmitter3 {
  const e = new EventEmitter3();
  for (let i = 0; i < handlers; i++) e.on(TYPE, () => void counter.n++);
  return e;
}

export function makeMitt(handlers: number): Mitt {
  const e = mitt();
  for (let i = 0; i < handlers; i++) e.on(TYPE, () => void counter.n++);
  return e;
}

export function makeMqemitter(handlers: number): ReturnType<typeof mqemitter> {
  const e = mqemitter({ separator: ".", wildcardOne: "*", wildcardSome: "#" });
  for (let i = 0; i < handlers; i++) {
    e.on(TYPE, (_message, done) => {
      counter.n++;
      done();
    });
  }
  return e;
}
