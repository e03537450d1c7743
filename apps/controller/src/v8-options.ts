/**
 * V8 options of the controller, set by the bundle itself before the rest of it runs (`main.ts`
 * imports this module first): `--optimize-for-size` unless the operator chose otherwise
 * (`METALLB_TS_OPTIMIZE_FOR_SIZE=false`, or the flag either way on the node command line). The
 * logic and the measurement behind it: `applyV8Options` in `@metallb-ts/app-runtime`.
 */
import { applyV8Options } from '@metallb-ts/app-runtime';

applyV8Options();
