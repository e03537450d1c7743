/**
 * The `ConfigurationState` writer (MetalLB §1.10, §2.5): one object per component in the MetalLB
 * namespace — `controller`, or `speaker-<node>` — with its labels and the pod owner reference,
 * created if missing; its status (the component's condition, `result`, `errorSummary`) written
 * by server-side apply of `/status`. The condition comes from `@metallb-ts/config`'s
 * `configCondition` and the aggregate from `summarizeConditions`.
 */
import { formatRfc3339, systemClock, type Clock } from '@metallb-ts/clock';
import { CONDITION_TYPES, configCondition, summarizeConditions, type Condition, type Config, type ConfigErrors, type UnknownFailure } from '@metallb-ts/config';
import { applyStatus, isApiError, type ApiClient, type KubeObject } from '@metallb-ts/k8s-watch';
import { OwnerResolver, type OwnerSource } from './owner.js';
import { METALLB_RESOURCES, typeMetaOf } from './resources.js';

/** Which component writes: the controller, or the speaker of one node. */
export type Component = { type: 'controller' } | { type: 'speaker'; node: string };

/** Longest condition message the API accepts (`metav1.Condition.message` maxLength). */
export const CONDITION_MESSAGE_MAX = 32768;

/** Options of {@link ConfigurationStateWriter}. */
export interface ConfigurationStateOptions {
  client: ApiClient;
  /** The MetalLB namespace. */
  namespace: string;
  component: Component;
  /** Field manager of the writes, e.g. `metallb-ts-controller`. */
  fieldManager: string;
  /** The owner reference: MetalLB sets the writing pod. @default { kind: 'none' } */
  owner?: OwnerSource;
  /** Stamps `lastTransitionTime`. @default systemClock */
  clock?: Clock;
}

/** What a write did. */
export type StateWriteOutcome = { kind: 'written'; object: KubeObject; condition: Condition } | { kind: 'failed'; error: Error; condition: Condition };

/** The object name and labels of a component's ConfigurationState. */
export function configurationStateMeta(c: Component): { name: string; labels: Record<string, string> } {
  return c.type === 'controller'
    ? { name: 'controller', labels: { 'metallb.io/component-type': 'controller' } }
    : { name: `speaker-${c.node}`, labels: { 'metallb.io/component-type': 'speaker', 'metallb.io/node-name': c.node } };
}

/** Writes one component's ConfigurationState. Writes never throw; they return an outcome. */
export class ConfigurationStateWriter {
  private readonly clock: Clock;
  private readonly owner: OwnerResolver;
  private readonly meta: { name: string; labels: Record<string, string> };
  /** The condition type of this component (`poolReconcilerValid` or `configReconcilerValid`). */
  readonly conditionType: string;

  constructor(private readonly opts: ConfigurationStateOptions) {
    this.clock = opts.clock ?? systemClock;
    this.owner = new OwnerResolver(opts.client, opts.owner ?? { kind: 'none' });
    this.meta = configurationStateMeta(opts.component);
    this.conditionType = opts.component.type === 'controller' ? CONDITION_TYPES.controller : CONDITION_TYPES.speaker;
  }

  /** The object's name (`controller` or `speaker-<node>`). */
  get name(): string {
    return this.meta.name;
  }

  /**
   * Reports the outcome of a configuration load (`Config`, `ConfigErrors` or an unknown failure),
   * plus `extra` conditions of this component (e.g. warnings about a valid configuration).
   */
  report(outcome: Config | ConfigErrors | UnknownFailure, extra: readonly Condition[] = []): Promise<StateWriteOutcome> {
    return this.reportCondition(configCondition(this.conditionType, outcome, formatRfc3339(this.clock.now())), extra);
  }

  /** A warning condition about a valid configuration: `status: 'False'`, never counted in `result`. */
  warningCondition(type: string, reason: string, message: string): Condition {
    return { type, status: 'False', reason, message, lastTransitionTime: formatRfc3339(this.clock.now()) };
  }

  /**
   * Writes `condition` and `extra` (long messages are cut to {@link CONDITION_MESSAGE_MAX}) and the
   * aggregate. Conditions this writer wrote before and are not given now are removed (server-side
   * apply drops what the field manager no longer sets). Only `ConfigurationError` conditions make
   * `result` Invalid, so warning conditions leave it `Valid`.
   */
  async reportCondition(condition: Condition, extra: readonly Condition[] = []): Promise<StateWriteOutcome> {
    const cut = (x: Condition): Condition => ({ ...x, message: x.message.slice(0, CONDITION_MESSAGE_MAX) });
    const c = cut(condition);
    const all = [c, ...extra.map(cut)];
    const r = METALLB_RESOURCES.configurationstates;
    const { apiVersion, kind } = typeMetaOf(r);
    const ns = this.opts.namespace;
    try {
      // Without the pod (not readable yet), write anyway; the next write asks again.
      const ownerRef = await this.owner.get().catch(() => undefined);
      const obj: KubeObject = {
        apiVersion,
        kind,
        metadata: { name: this.meta.name, namespace: ns, labels: this.meta.labels, ...(ownerRef ? { ownerReferences: [ownerRef] } : {}) },
      };
      try {
        await this.opts.client.create(r, ns, obj, { fieldManager: this.opts.fieldManager });
      } catch (e) {
        if (!isApiError(e, 409)) throw e;
      }
      const status = { ...summarizeConditions(all), conditions: all };
      const object = await applyStatus<KubeObject>(this.opts.client, r, { apiVersion, kind, metadata: { name: this.meta.name, namespace: ns }, status }, this.opts.fieldManager);
      return { kind: 'written', object, condition: c };
    } catch (e) {
      return { kind: 'failed', error: e instanceof Error ? e : new Error(String(e)), condition: c };
    }
  }
}
