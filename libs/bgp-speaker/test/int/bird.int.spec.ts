import { defineInteropSuite } from './matrix.js';
import { startBird, type Bird } from '@metallb-ts/test-lab';
import { birdView } from './views.js';

defineInteropSuite({ kind: 'bird', tool: 'bird', index: 1, start: startBird, view: (d, p) => birdView(d as Bird, p), showsStale: false });
