/**
 * @metallb-ts/kube — a real Kubernetes control plane (etcd, kube-apiserver,
 * kube-controller-manager built from the pinned releases) for tests and the lab.
 */
export { ETCD_VERSION, HELM_VERSION, KUBERNETES_VERSION, stagingVersion } from './versions.js';
export { buildModuleGoMod, kubernetesLdflags, stagingModules } from './build-module.js';
export { binariesCached, binaryPaths, buildInfo, ensureBinaries, goSkipReason, kubeCacheDir, KUBERNETES_COMMANDS, type Binaries, type BuildInfo } from './build.js';
export { ADMISSION_PLUGINS, CONTROLLERS, apiserverArgs, controllerManagerArgs, etcdArgs, type ControlPlaneLayout } from './args.js';
export {
  down,
  hasControlPlane,
  kubectl,
  kubectlPath,
  ROLES,
  serviceAccountKubeconfig,
  status,
  up,
  type ControlPlane,
  type ControlPlaneStatus,
  type DownOptions,
  type KubectlOptions,
  type KubectlResult,
  type ProcessStatus,
  type Role,
  type ServiceAccountKubeconfigOptions,
  type UpOptions,
} from './cluster.js';
export { classifyRecorded, planExisting, type PidRecord, type RecordedState } from './pids.js';
export { ensureHelm, helm, helmBuildGoMod, helmBuildInfo, helmDir, helmLdflags, helmPath, helmSkipReason, HELM_PACKAGE, type HelmBuildInfo, type HelmOptions, type HelmResult } from './helm.js';
export { describeProblems, gvkOf, kindSchema, OpenApiIndex, openApiPath, validateObject, validateValue, type GroupVersionKind, type OpenApiDocument, type RawGet, type Schema, type SchemaProblem } from './openapi.js';
