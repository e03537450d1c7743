import { defineInteropSuite } from './matrix.js';
import { startFrr, type Frr } from '@metallb-ts/test-lab';
import { frrView } from './views.js';

defineInteropSuite({ kind: 'frr', tool: '/usr/lib/frr/bgpd', index: 2, start: startFrr, view: (d) => frrView(d as Frr), showsStale: true });
