import { randomFillSync } from "node:crypto";
import { nanoid } from "nanoid";
const POOL = Buffer.allocUnsafe(16 * 1024); let off = POOL.length;
function b64id() { if (off + 16 > POOL.length) { randomFillSync(POOL); off = 0; } const s = POOL.toString("base64url", off, off + 16); off += 16; return s.slice(0, 21); }
const BIG = Buffer.allocUnsafe(63 * 16); let chars = ""; let pos = 0;
function bulk() { if (pos >= chars.length) { randomFillSync(BIG); chars = BIG.toString("base64url"); pos = 0; } const id = chars.slice(pos, pos + 21); pos += 21; return id; }
function bulkCopy() { if (pos >= chars.length) { randomFillSync(BIG); chars = BIG.toString("base64url"); pos = 0; } const id = chars.slice(pos, pos + 11) + chars.slice(pos + 11, pos + 21); pos += 21; return id; }
const A = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";
const CODES = Array.from(A, c => c.charCodeAt(0)); const P2 = Buffer.allocUnsafe(21 * 256); let o2 = P2.length; const tmp = new Array(21);
function fcc() { if (o2 + 21 > P2.length) { randomFillSync(P2); o2 = 0; } for (let i = 0; i < 21; i++) tmp[i] = CODES[P2[o2 + i] & 63]; o2 += 21; return String.fromCharCode.apply(null, tmp); }
const fns = { nanoid, b64id, bulk, bulkCopy, fcc };
let sink = 0;
for (let k = 0; k < 2; k++) for (const [n, f] of Object.entries(fns)) { const t = []; for (let r = 0; r < 10; r++) { const c0 = process.cpuUsage(); for (let i = 0; i < 1e5; i++) sink += f().length; const c = process.cpuUsage(c0); t.push((c.user + c.system) * 1e3 / 1e5); } console.log(n.padEnd(10), Math.min(...t).toFixed(0), "ns cpu"); }
console.log(bulk(), b64id(), fcc(), nanoid());
