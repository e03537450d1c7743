export {
  LeaderElector,
  LeaderElectionConfigError,
  resolveLeaderElection,
  DEFAULT_LEADER_ELECTION,
  JITTER_FACTOR,
  type LeaderElectionInit,
  type LeaderElectionComponents,
  type LeaderEvent,
  type StoppedLeadingReason,
  type ElectorState,
} from './elector.js';
export type { LeaseRecord, StoredLease, LeaseStore, LeaseGetResult, LeaseCreateResult, LeaseUpdateResult } from './store.js';
export { decideLease, leaseValid, renewedRecord, releasedRecord, type LeaseView, type LeaseDecision } from './decide.js';
