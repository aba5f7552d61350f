// Minimal types for the benchmark peers that ship none (only what bench/ uses).
declare module "qlobber" {
  export class Qlobber<V = unknown> {
    constructor(options?: {
      separator?: string;
      wildcard_one?: string;
      wildcard_some?: string;
      match_empty_levels?: boolean;
      cache_adds?: boolean;
    });
    add(topic: string, value: V): this;
    remove(topic: string, value?: V): this;
    match(topic: string): V[];
    clear(): this;
  }
}
