/**
 * Node context read and written through callbacks, so that asynchronous stores
 * (localfilesystem, Redis, …) work as well as memory. Typed loosely on purpose:
 * no Node-RED import in lib/.
 */
export interface ContextLike {
  get(key: string, store: string | undefined, callback: (err: Error | null | undefined, value: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err: Error | null | undefined) => void): void;
}

export function readContext(context: ContextLike, key: string, store: string | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    context.get(key, store || undefined, (err, value) => (err ? reject(err) : resolve(value)));
  });
}

export function writeContext(context: ContextLike, key: string, value: unknown, store: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    context.set(key, value, store || undefined, (err) => (err ? reject(err) : resolve()));
  });
}
