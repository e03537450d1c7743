/**
 * The one place where the control plane's versions are pinned.
 *
 * - {@link KUBERNETES_VERSION}: the `k8s.io/kubernetes` release whose `kube-apiserver` and
 *   `kube-controller-manager` we build — the newest the Go module proxy serves whose `go.mod`
 *   asks for no newer Go than the machine's (`/usr/local/go`, Go 1.26).
 * - {@link ETCD_VERSION}: the `go.etcd.io/etcd/server/v3` release we build `etcd` from.
 * - {@link HELM_VERSION}: the `helm.sh/helm/v4` release we build `helm` from.
 *
 * Pure: no I/O.
 */

/** The pinned `k8s.io/kubernetes` release (its go.mod says `go 1.26.0`). */
export const KUBERNETES_VERSION = 'v1.37.2';

/** The pinned etcd server release (`go.etcd.io/etcd/server/v3`, go.mod says `go 1.26.0`). */
export const ETCD_VERSION = 'v3.7.3';

/**
 * The pinned Helm release (`helm.sh/helm/v4`, go.mod says `go 1.26.0`, no replaces, so its
 * `cmd/helm` builds from the module proxy as is). Used to lint, render and install
 * `deploy/charts/metallb-ts`.
 */
export const HELM_VERSION = 'v4.3.2';

/**
 * The `v0.x.y` release of Kubernetes' staging modules (`k8s.io/api`, `k8s.io/client-go`, …) that
 * matches a `k8s.io/kubernetes` release `v1.x.y`: `v1.37.2` → `v0.37.2`, `v1.36.0-rc.1` → `v0.36.0-rc.1`.
 * Throws for anything that is not a `v1.` semver.
 */
export function stagingVersion(kubernetesVersion: string): string {
  const m = /^v1\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/.exec(kubernetesVersion);
  if (!m) throw new Error(`"${kubernetesVersion}" is not a k8s.io/kubernetes release (want v1.MINOR.PATCH); fix KUBERNETES_VERSION in tools/kube/src/versions.ts`);
  return `v0.${m[1]}.${m[2]}${m[3] ?? ''}`;
}
