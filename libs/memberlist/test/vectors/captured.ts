/**
 * Bytes captured from real hashicorp/memberlist peers (Debian 0.2.2 and v0.5.1) on loopback,
 * from ../shared/reference/memberlist-wire.md §14 (tcpdump + independent decoder; see
 * memberlist-go-peer.md §6). One field per line where the layout matters.
 */
export const hex = (...parts: string[]): Uint8Array => Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));

/** §14.1 ping a → b, SeqNo 3, SourcePort 9000 (59 bytes). */
export const PING_A_TO_B = hex(
  '00', // pingMsg
  '85', // fixmap, 5 entries
  'a44e6f6465 a162', // "Node": "b"
  'a55365714e6f 03', // "SeqNo": 3
  'aa536f7572636541646472 a47f000001', // "SourceAddr": 127.0.0.1
  'aa536f757263654e6f6465 a161', // "SourceNode": "a"
  'aa536f75726365506f7274 cd2328', // "SourcePort": 9000
);

/** §14.2 ack b → a, Payload nil, SeqNo 3 (18 bytes). */
export const ACK_B_TO_A = hex('02 82', 'a75061796c6f6164 c0', 'a55365714e6f 03');

/** §14.3 alive of a, incarnation 1, meta "hello" (62 bytes). */
export const ALIVE_A = hex(
  '04 86',
  'a441646472 a47f000001', // "Addr": 127.0.0.1
  'ab496e6361726e6174696f6e 01', // "Incarnation": 1
  'a44d657461 a568656c6c6f', // "Meta": "hello"
  'a44e6f6465 a161', // "Node": "a"
  'a4506f7274 cd2328', // "Port": 9000
  'a356736e a6010502000000', // "Vsn": [1,5,2,0,0,0]
);

/** §14.3 MetalLB-like alive of b (no meta: nil), port 9001 (57 bytes). */
export const ALIVE_B = hex(
  '04 86',
  'a441646472 a47f000001',
  'ab496e6361726e6174696f6e 01',
  'a44d657461 c0', // "Meta": nil
  'a44e6f6465 a162',
  'a4506f7274 cd2329',
  'a356736e a6010502000000',
);

/** §14.6 suspect{From a, Incarnation 1, Node c} (29 bytes) and its CRC. */
export const SUSPECT_C = hex('0383a446726f6da161ab496e6361726e6174696f6e01a44e6f6465a163');
export const SUSPECT_C_CRC = 0x55ff57b2;
/** §14.6 dead: b declares c. */
export const DEAD_C_BY_B = hex('0583a446726f6da162ab496e6361726e6174696f6e01a44e6f6465a163');
/** §14.6 left: c leaves (From == Node). */
export const LEFT_C = hex('0583a446726f6da163ab496e6361726e6174696f6e01a44e6f6465a163');
/** §14.6 nack SeqNo 7. */
export const NACK_7 = hex('0b81a55365714e6f07');
/** §14.6 indirect ping, a asks b to probe c (85 bytes). */
export const INDIRECT_A_C = hex(
  '01 88',
  'a44e61636b c3', // "Nack": true
  'a44e6f6465 a163', // "Node": "c"
  'a4506f7274 cd232a', // "Port": 9002
  'a55365714e6f 05', // "SeqNo": 5
  'aa536f7572636541646472 a47f000001',
  'aa536f757263654e6f6465 a161',
  'aa536f75726365506f7274 cd2328',
  'a6546172676574 a47f000001', // "Target": 127.0.0.1
);
/** §14.6 UDP user message with CRC. */
export const USER_UDP_CRC = hex('0c afa82238 08 68656c6c6f2d66726f6d2d63202875647029');

/** §14.5 AES-256 key: MetalLB derivation of "metallb-lab-secret". */
export const LAB_SECRET = 'metallb-lab-secret';
export const LAB_KEY = hex('6d6574616c6c622d6c61622d736563726574e3b0c44298fc1c149afbf4c8996f');
/** §14.5 encrypted ping a → b (88 bytes) and its plaintext. */
export const ENC_PING = hex(
  '01', // version
  'd532e31a5e48d2854ae861d7', // nonce
  'd4833852ccc3d8c97ca79fbce80ff7d96c6cc51d34cd0668e294f33f7b5557ed80a448cc91b18efb9a4da79f283c5cd39f97464395aea0c2adae3c', // ciphertext
  '5cc474907a56bfabf10ce7a49ac4a8d0', // tag
);
export const ENC_PING_PLAIN = hex('0085a44e6f6465a162a55365714e6f01aa536f7572636541646472a47f000001aa536f757263654e6f6465a161aa536f75726365506f7274cd238c');
export const ENC_ACK = hex('018f977bebf0ec59cf143ef4ef82562ebbcc6aa6f80c717cfeee64aa41f54c616d92670b71e3a5c99608bb5cd6bcb4');
export const ENC_ACK_PLAIN = hex('0282a75061796c6f6164c0a55365714e6f01');

/** §14.8 push/pull join request b → a, compressed, on TCP (116 bytes). */
export const PUSHPULL_JOIN_STREAM = hex(
  '09 82 a4416c676f 00 a3427566 da0065', // compress{Algo 0, Buf: str16 101}
  '000d0c22a5e44d1a37c34a397943a6cc9c00acaacc2923670a9d3074ca3029e3',
  '06c0215241c8909143ea0f0000015625713326' + '8c1c3718d3bc7113805493321741917212a64d99506248417923874eb311294a59c45806c0282b73dc980a5040',
  'c049000101',
);
/** §14.8 the decompressed push/pull (92 bytes). */
export const PUSHPULL_JOIN_PLAIN = hex(
  '06',
  '83 a44a6f696e c3 a54e6f646573 01 ac5573657253746174654c656e 00', // Join true, Nodes 1, UserStateLen 0
  '87',
  'a441646472 a47f000001',
  'ab496e6361726e6174696f6e 01',
  'a44d657461 a0', // "Meta": ""
  'a44e616d65 a162', // "Name": "b"
  'a4506f7274 cd2329',
  'a55374617465 00', // "State": 0
  'a356736e a6010502000000',
);
