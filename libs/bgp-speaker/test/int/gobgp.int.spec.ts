import { defineInteropSuite } from './matrix.js';
import { startGobgp, type Gobgp } from '@metallb-ts/test-lab';
import { gobgpView } from './views.js';

defineInteropSuite({ kind: 'gobgp', tool: 'gobgpd', index: 0, start: startGobgp, view: (d, p) => gobgpView(d as Gobgp, p), showsStale: true });
