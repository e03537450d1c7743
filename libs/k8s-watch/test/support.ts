/** Shared helpers of k8s-watch integration tests. */
import type { KubeObject } from '../src/index.js';

/** Short back-off so recovery tests finish in seconds of real time. */
export const FAST_BACKOFF = { initialMs: 50, maxMs: 400, factor: 2, jitter: 0.2 };

/** Records handler calls and checks the "no duplicate delivery" invariant. */
export class DeliveryLog {
  readonly lines: string[] = [];
  readonly view = new Map<string, string>();
  private readonly seen = new Set<string>();
  duplicates: string[] = [];

  private note(kind: string, o: KubeObject): void {
    const id = `${kind}:${o.metadata.namespace ?? ''}/${o.metadata.name}@${o.metadata.resourceVersion}`;
    if (this.seen.has(id)) this.duplicates.push(id);
    this.seen.add(id);
    this.lines.push(id);
  }

  add = (o: KubeObject) => {
    this.note('add', o);
    this.view.set(o.metadata.name, o.metadata.resourceVersion!);
  };
  update = (_old: KubeObject, o: KubeObject) => {
    this.note('update', o);
    this.view.set(o.metadata.name, o.metadata.resourceVersion!);
  };
  remove = (o: KubeObject) => {
    this.note('delete', o);
    this.view.delete(o.metadata.name);
  };
}

/** name → resourceVersion of a list of objects. */
export function versions(items: KubeObject[]): Map<string, string> {
  return new Map(items.map((o) => [o.metadata.name, o.metadata.resourceVersion!]));
}
