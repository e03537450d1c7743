/**
 * V8 options of the speaker, set by the bundle itself before the rest of it runs (`main.ts`
 * imports this module first): `--optimize-for-size` unless the operator chose otherwise
 * (`METALLB_TS_OPTIMIZE_FOR_SIZE=false`, or the flag either way on the node command line). The
 * logic: `applyV8Options` in `@metallb-ts/app-runtime`; the measurement (RSS, idle CPU, ARP reply
 * latency with and without): bench/speaker/footprint.ts and the speaker's README.
 */
import { applyV8Options } from '@metallb-ts/app-runtime';

applyV8Options();
