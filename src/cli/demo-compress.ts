/**
 * The demo's CPU-heavy handler, run in the worker pool: it really compresses a blob of the
 * event's size (capped), so the pool has work worth a thread.
 */
import { deflateSync } from "node:zlib";
import type { Event } from "../event.js";

const MAX_BYTES = 2 * 1024;
const WORDS = ["agent", "task", "storage", "workflow", "heartbeat", "blob", "ratio", "neurectomy"];

export function handle(event: Event): number {
  const size = Math.min(Number(event.data["size_bytes"] ?? 1024) || 1024, MAX_BYTES);
  let text = "";
  for (let i = 0; text.length < size; i++) text += `${WORDS[(i * 7 + size) % WORDS.length]} ${i} `;
  return deflateSync(Buffer.from(text.slice(0, size))).length;
}
