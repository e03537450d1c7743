#!/usr/bin/env bash
# Regenerates test/vectors/captured/*.bin: frames from the Linux kernel, iputils arping and
# ndisc6, captured with tcpdump inside two throw-away network namespaces joined by a veth pair.
# Needs root. Nothing is done in the root namespace except creating/deleting the namespaces.
#   host A (the "kernel host"): eth0 02:00:00:00:00:0a, 198.51.100.1/24, 2001:db8::1/64
#   host B (the client):        eth0 02:00:00:00:00:0b, 198.51.100.2/24, 2001:db8::2/64
# Usage: bash libs/arp-responder/test/vectors/capture.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/captured"
P=mtsarpcap$$
A=${P}a
B=${P}b
tmp=$(mktemp -d)
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

ip netns add "$A"; ip netns add "$B"
ip link add eth0 netns "$A" type veth peer name eth0 netns "$B"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0; done
ip -n "$A" link set eth0 address 02:00:00:00:00:0a
ip -n "$B" link set eth0 address 02:00:00:00:00:0b
ip -n "$A" addr add 198.51.100.1/24 dev eth0; ip -n "$A" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$B" addr add 198.51.100.2/24 dev eth0; ip -n "$B" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "$A" link set eth0 up; ip -n "$B" link set eth0 up
sleep 1

# capture NAME COUNT FILTER -- COMMAND...: runs COMMAND in B while tcpdump in B records COUNT frames
capture() {
  local name=$1 count=$2 filter=$3; shift 4
  timeout 6 ip netns exec "$B" tcpdump -i eth0 -U -c "$count" -w "$tmp/$name.pcap" "$filter" 2>/dev/null &
  local td=$!
  sleep 0.5
  "$@" >/dev/null 2>&1 || true
  wait "$td" || true
}
inB() { ip netns exec "$B" "$@"; }

capture arping 2 'arp' -- inB arping -c 1 -I eth0 198.51.100.1
capture arping-u 1 'arp' -- inB arping -c 1 -U -I eth0 198.51.100.2
capture arping-a 1 'arp' -- inB arping -c 1 -A -I eth0 198.51.100.2
capture ndisc6 2 'icmp6 and (ip6[40] == 135 or ip6[40] == 136)' -- inB ndisc6 -1 2001:db8::1 eth0
ip -n "$B" neigh flush dev eth0
capture ping 2 'arp' -- inB ping -c 1 -W 1 198.51.100.1
ip -n "$B" -6 neigh flush dev eth0
capture ping6 2 'icmp6 and (ip6[40] == 135 or ip6[40] == 136)' -- inB ping -6 -c 1 -W 1 2001:db8::1
inB sysctl -qw net.ipv6.conf.eth0.accept_dad=1
capture dad 1 'icmp6 and ip6[40] == 135 and ip6 src ::' -- ip -n "$B" addr add 2001:db8::3/64 dev eth0

python3 - "$tmp" "$out" <<'PY'
import struct, sys, os
tmp, out = sys.argv[1], sys.argv[2]
def frames(name):
    data = open(os.path.join(tmp, name + '.pcap'), 'rb').read()
    off, res = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack('<IIII', data[off:off+16])
        res.append(data[off+16:off+16+incl]); off += 16 + incl
    return res
plan = {
    'arping': ['arping-request', 'kernel-arp-reply'],
    'arping-u': ['arping-unsolicited-request'],
    'arping-a': ['arping-unsolicited-reply'],
    'ndisc6': ['ndisc6-ns', 'kernel-na-solicited'],
    'ping': ['kernel-arp-request', 'kernel-arp-reply-to-kernel'],
    'ping6': ['kernel-ns', 'kernel-na-to-kernel'],
    'dad': ['kernel-dad-ns'],
}
for cap, names in plan.items():
    got = frames(cap)
    for i, n in enumerate(names):
        if i < len(got):
            open(os.path.join(out, n + '.bin'), 'wb').write(got[i])
            print(f'{n}.bin {len(got[i])} bytes')
        else:
            print(f'{n}.bin MISSING', file=sys.stderr)
PY
