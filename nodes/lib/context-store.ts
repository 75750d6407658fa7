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

/**
 * Without `contextStorage` in settings.js, Node-RED deletes a node's context when
 * it closes the node, so every redeploy would forget the watch cursor and the
 * webhook's recent IDs (events skipped, redeliveries sent again). This keeps a
 * copy of what each node wrote for as long as its node type is registered (the
 * Node-RED process), and answers from it when the store has nothing.
 */
export class RedeployMemory {
  private readonly byNode = new Map<string, Map<string, unknown>>();

  /** `context`, with reads falling back to this node's last writes. */
  wrap(context: ContextLike, nodeId: string): ContextLike {
    return {
      get: (key, store, callback) =>
        context.get(key, store, (err, value) => (err ? callback(err, undefined) : callback(err, value ?? this.byNode.get(nodeId)?.get(key)))),
      set: (key, value, store, callback) => {
        let values = this.byNode.get(nodeId);
        if (!values) this.byNode.set(nodeId, (values = new Map<string, unknown>()));
        values.set(key, value);
        context.set(key, value, store, callback);
      },
    };
  }

  /** For a node deleted from the flows: nothing of it is needed again. */
  forget(nodeId: string): void {
    this.byNode.delete(nodeId);
  }
}
