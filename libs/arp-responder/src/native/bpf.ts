/**
 * The classic BPF program attached to every AF_PACKET socket, so the kernel hands user space only
 * ARP and ICMPv6 Neighbor Solicitations / Advertisements. The kernel has already moved an outer
 * 802.1Q tag into the packet metadata when the filter runs, so the offsets are those of an
 * untagged frame; the addon puts the tag back (PACKET_AUXDATA) and the {@link Responder} routes
 * tagged frames to software VLAN interfaces or drops them.
 * @module
 */

/** One `struct sock_filter` instruction: opcode, jump-if-true, jump-if-false, constant. */
export type BpfInstruction = readonly [code: number, jt: number, jf: number, k: number];

// linux/filter.h opcodes (BPF_CLASS | BPF_SIZE | BPF_MODE / BPF_OP | BPF_SRC)
const LD_W_ABS = 0x20;
const LD_H_ABS = 0x28;
const LD_B_ABS = 0x30;
const JEQ_K = 0x15;
const RET_K = 0x06;
/** SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT: 1 when the driver moved an 802.1Q tag into metadata. */
const AD_VLAN_TAG_PRESENT = (-0x1000 + 48) >>> 0;

type Asm = { op: 'ld'; code: number; k: number } | { op: 'jeq'; k: number; t: string | null; f: string | null } | { op: 'ret'; k: number; label?: string };

function assemble(prog: Asm[]): BpfInstruction[] {
  const at = new Map<string, number>();
  prog.forEach((p, i) => {
    if (p.op === 'ret' && p.label) at.set(p.label, i);
  });
  const rel = (i: number, label: string | null): number => {
    if (label === null) return 0;
    const to = at.get(label);
    if (to === undefined || to <= i) throw new Error(`bad BPF label ${label}`);
    return to - i - 1;
  };
  return prog.map((p, i): BpfInstruction =>
    p.op === 'ld' ? [p.code, 0, 0, p.k] : p.op === 'ret' ? [RET_K, 0, 0, p.k] : [JEQ_K, rel(i, p.t), rel(i, p.f), p.k],
  );
}

/** Offsets in an untagged Ethernet frame carrying IPv6: EtherType 12, next header 14+6, ICMPv6 type 14+40. */
export const ARP_NDP_FILTER: readonly BpfInstruction[] = Object.freeze(
  assemble([
    { op: 'ld', code: LD_H_ABS, k: 12 },
    { op: 'jeq', k: 0x0806, t: 'accept', f: null },
    { op: 'jeq', k: 0x86dd, t: null, f: 'drop' },
    { op: 'ld', code: LD_B_ABS, k: 20 },
    { op: 'jeq', k: 58, t: null, f: 'drop' },
    { op: 'ld', code: LD_B_ABS, k: 54 },
    { op: 'jeq', k: 135, t: 'accept', f: null },
    { op: 'jeq', k: 136, t: 'accept', f: 'drop' },
    { op: 'ret', k: 0x40000, label: 'accept' },
    { op: 'ret', k: 0, label: 'drop' },
  ]),
);

/** Serialises instructions as an array of `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k; host order). */
export function encodeFilter(prog: readonly BpfInstruction[]): Buffer {
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b.writeUInt8(jt, i * 8 + 2);
    b.writeUInt8(jf, i * 8 + 3);
    b.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return b;
}

/**
 * Runs a program over a frame the way the kernel does for the opcodes used above (for tests).
 * `vlanTagPresent` stands for the packet metadata. Returns the snap length (0 = drop).
 */
export function runFilter(prog: readonly BpfInstruction[], frame: Uint8Array, vlanTagPresent = false): number {
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const [code, jt, jf, k] = prog[pc]!;
    switch (code) {
      case LD_W_ABS:
        if (k === AD_VLAN_TAG_PRESENT) a = vlanTagPresent ? 1 : 0;
        else if (k + 4 > frame.length) return 0;
        else a = ((frame[k]! << 24) | (frame[k + 1]! << 16) | (frame[k + 2]! << 8) | frame[k + 3]!) >>> 0;
        break;
      case LD_H_ABS:
        if (k + 2 > frame.length) return 0;
        a = (frame[k]! << 8) | frame[k + 1]!;
        break;
      case LD_B_ABS:
        if (k + 1 > frame.length) return 0;
        a = frame[k]!;
        break;
      case JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case RET_K:
        return k;
      default:
        throw new Error(`opcode 0x${code.toString(16)} not supported by runFilter`);
    }
  }
  return 0;
}
