/** ConfigurationState conditions and aggregate (§2.5). */
import { describe, expect, it } from 'vitest';
import { buildConfig, configCondition, CONDITION_TYPES, summarizeConditions } from './index.js';
import { pool } from '../test/fixtures.js';

const NOW = '2026-11-25T18:00:00Z';

describe('ConfigurationState', () => {
  const ok = buildConfig([pool('p', { addresses: ['198.51.100.0/24'] })]);
  const bad = buildConfig([pool('p', { addresses: ['198.51.100.0/33'] })]);
  it('a valid configuration gives True/Reconciled with an empty message', () => {
    expect(configCondition(CONDITION_TYPES.controller, ok, NOW)).toEqual({ type: 'poolReconcilerValid', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: NOW });
  });
  it('a rejected one gives False/ConfigurationError with "configuration error: …"', () => {
    const c = configCondition(CONDITION_TYPES.speaker, bad, NOW, 3);
    expect(c).toMatchObject({ type: 'configReconcilerValid', status: 'False', reason: 'ConfigurationError', observedGeneration: 3 });
    expect(c.message).toMatch(/^configuration error: IPAddressPool metallb-system\/p spec.addresses\[0\]: /);
  });
  it('other failures give False/UnknownError', () => {
    expect(configCondition('x', { unknownError: 'timeout' }, NOW)).toMatchObject({ status: 'False', reason: 'UnknownError', message: 'timeout' });
  });
  it('aggregates: Unknown without conditions, Invalid on any ConfigurationError, else Valid', () => {
    const good = configCondition('a', ok, NOW);
    const failing = configCondition('b', bad, NOW);
    const unknown = configCondition('c', { unknownError: 'x' }, NOW);
    expect(summarizeConditions([])).toEqual({ result: 'Unknown', errorSummary: '' });
    expect(summarizeConditions([good, unknown])).toEqual({ result: 'Valid', errorSummary: '' });
    expect(summarizeConditions([good, failing, failing])).toEqual({ result: 'Invalid', errorSummary: `${failing.message}\n${failing.message}` });
  });
});
