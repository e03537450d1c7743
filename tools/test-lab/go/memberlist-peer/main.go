// mlnode: tiny hashicorp/memberlist test peer for the @metallb-ts/memberlist interop tests.
// Source follows the memberlist-go-peer reference §3, plus tuning flags (-probe-interval-ms ...).
// Built by @metallb-ts/test-lab (src/go.ts) with the pinned hashicorp/memberlist of go.mod.
// Prints membership changes and selected memberlist log lines as JSON lines on stdout.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
)

var (
	outMu sync.Mutex
	self  string
)

// emit writes one JSON object per line with a wall-clock timestamp.
func emit(kv map[string]interface{}) {
	now := time.Now()
	kv["ts"] = now.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	kv["unix_ms"] = now.UnixNano() / int64(time.Millisecond)
	kv["self"] = self
	b, _ := json.Marshal(kv)
	outMu.Lock()
	os.Stdout.Write(append(b, '\n'))
	outMu.Unlock()
}

func nodeKV(ev string, n *memberlist.Node) map[string]interface{} {
	return map[string]interface{}{
		"event": ev, "node": n.Name, "addr": n.Addr.String(), "port": n.Port,
		"meta": string(n.Meta), "vsn": []int{int(n.PMin), int(n.PMax), int(n.PCur), int(n.DMin), int(n.DMax), int(n.DCur)},
	}
}

type events struct{}

func (events) NotifyJoin(n *memberlist.Node)   { emit(nodeKV("join", n)) }
func (events) NotifyLeave(n *memberlist.Node)  { emit(nodeKV("leave", n)) }
func (events) NotifyUpdate(n *memberlist.Node) { emit(nodeKV("update", n)) }

// delegate: static node meta, prints user messages, optional fixed push/pull user state.
type delegate struct{ meta, state []byte }

func (d delegate) NodeMeta(limit int) []byte { return d.meta }
func (d delegate) NotifyMsg(b []byte) {
	emit(map[string]interface{}{"event": "user_msg", "hex": hex.EncodeToString(b), "text": string(b)})
}
func (d delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d delegate) LocalState(join bool) []byte                { return d.state }
func (d delegate) MergeRemoteState(buf []byte, join bool) {
	if len(buf) > 0 {
		emit(map[string]interface{}{"event": "remote_state", "join": join, "len": len(buf)})
	}
}

// logWriter turns memberlist log lines into JSON "log" events (DEBUG only with -debug).
type logWriter struct{ debug bool }

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if !w.debug && strings.Contains(line, "[DEBUG]") {
			continue
		}
		if i := strings.Index(line, "["); i >= 0 {
			line = line[i:]
		}
		emit(map[string]interface{}{"event": "log", "msg": line})
	}
	return len(p), nil
}

func main() {
	name := flag.String("name", "", "node name (unique)")
	bind := flag.String("bind", "127.0.0.1", "bind address (UDP+TCP)")
	advertise := flag.String("advertise", "", "advertise address (empty = derived from the bound listener, as in MetalLB)")
	port := flag.Int("port", 7946, "bind/advertise port (UDP+TCP)")
	join := flag.String("join", "", "comma-separated host:port list to join")
	secret := flag.String("secret", "", "MetalLB-style secret string (key = first 32 bytes of secret||sha256(\"\"))")
	keyHex := flag.String("key-hex", "", "raw AES key in hex (16/24/32 bytes); overrides -secret")
	seconds := flag.Int("seconds", 30, "exit after N seconds")
	profile := flag.String("profile", "metallb", "metallb (DefaultLANConfig) | local (DefaultLocalConfig)")
	compress := flag.Bool("compress", true, "EnableCompression (LAN default true)")
	leave := flag.Bool("leave", false, "graceful Leave() before exiting (on timeout or SIGTERM/SIGINT)")
	meta := flag.String("meta", "", "node metadata string")
	debug := flag.Bool("debug", false, "also emit memberlist DEBUG log lines")
	membersEvery := flag.Int("members", 0, "emit the member list every N seconds (0 = only at exit)")
	userState := flag.Int("userstate", 0, "push/pull user state size in bytes (delegate LocalState)")
	send := flag.String("send", "", "after joining, send this user message to every other member (UDP and TCP)")
	probeIntervalMs := flag.Int("probe-interval-ms", 0, "ProbeInterval override in ms (0 = profile default)")
	probeTimeoutMs := flag.Int("probe-timeout-ms", 0, "ProbeTimeout override in ms (0 = profile default)")
	suspicionMult := flag.Int("suspicion-mult", 0, "SuspicionMult override (0 = profile default)")
	gossipIntervalMs := flag.Int("gossip-interval-ms", 0, "GossipInterval override in ms (0 = profile default)")
	pushPullMs := flag.Int("pushpull-interval-ms", 0, "PushPullInterval override in ms (0 = profile default)")
	flag.Parse()
	if *name == "" {
		*name = fmt.Sprintf("%s:%d", *bind, *port)
	}
	self = *name

	var cfg *memberlist.Config
	if *profile == "local" {
		cfg = memberlist.DefaultLocalConfig()
	} else {
		cfg = memberlist.DefaultLANConfig() // what MetalLB speakers use (no -ml-wan-config)
	}
	if *probeIntervalMs > 0 {
		cfg.ProbeInterval = time.Duration(*probeIntervalMs) * time.Millisecond
	}
	if *probeTimeoutMs > 0 {
		cfg.ProbeTimeout = time.Duration(*probeTimeoutMs) * time.Millisecond
	}
	if *suspicionMult > 0 {
		cfg.SuspicionMult = *suspicionMult
	}
	if *gossipIntervalMs > 0 {
		cfg.GossipInterval = time.Duration(*gossipIntervalMs) * time.Millisecond
	}
	if *pushPullMs > 0 {
		cfg.PushPullInterval = time.Duration(*pushPullMs) * time.Millisecond
	}
	cfg.Name = *name
	cfg.BindAddr = *bind
	cfg.BindPort = *port
	cfg.AdvertiseAddr = *advertise
	cfg.AdvertisePort = *port
	cfg.EnableCompression = *compress
	cfg.Events = events{}
	cfg.Delegate = delegate{meta: []byte(*meta), state: bytes.Repeat([]byte("s"), *userState)}
	cfg.LogOutput = logWriter{debug: *debug}
	if *keyHex != "" {
		k, err := hex.DecodeString(*keyHex)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad -key-hex:", err)
			os.Exit(2)
		}
		cfg.SecretKey = k
	} else if *secret != "" {
		// Same derivation as MetalLB internal/speakerlist: sha256.New().Sum(secret)[:32]
		cfg.SecretKey = sha256.New().Sum([]byte(*secret))[:32]
	}
	if cfg.SecretKey != nil {
		emit(map[string]interface{}{"event": "key", "hex": hex.EncodeToString(cfg.SecretKey)})
	}

	ml, err := memberlist.Create(cfg)
	if err != nil {
		emit(map[string]interface{}{"event": "error", "err": err.Error()})
		os.Exit(1)
	}
	emit(map[string]interface{}{"event": "start", "pid": os.Getpid(), "port": *port,
		"encrypted": cfg.SecretKey != nil, "profile": *profile, "probe_interval_ms": cfg.ProbeInterval.Milliseconds(),
		"probe_timeout_ms": cfg.ProbeTimeout.Milliseconds(), "suspicion_mult": cfg.SuspicionMult})

	if *join != "" {
		n, err := ml.Join(strings.Split(*join, ","))
		r := map[string]interface{}{"event": "joined", "contacted": n}
		if err != nil {
			r["err"] = err.Error()
		}
		emit(r)
	}

	if *send != "" {
		time.Sleep(time.Second)
		for _, m := range ml.Members() {
			if m.Name == *name {
				continue
			}
			e1 := ml.SendBestEffort(m, []byte(*send+" (udp)"))
			e2 := ml.SendReliable(m, []byte(*send+" (tcp)"))
			emit(map[string]interface{}{"event": "sent", "to": m.Name, "udp_err": fmt.Sprint(e1), "tcp_err": fmt.Sprint(e2)})
		}
	}

	printMembers := func() {
		var names []string
		for _, m := range ml.Members() {
			names = append(names, m.Name)
		}
		emit(map[string]interface{}{"event": "members", "n": len(names), "members": names})
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	deadline := time.After(time.Duration(*seconds) * time.Second)
	var tick <-chan time.Time
	if *membersEvery > 0 {
		tick = time.NewTicker(time.Duration(*membersEvery) * time.Second).C
	}
loop:
	for {
		select {
		case <-tick:
			printMembers()
		case s := <-sig:
			emit(map[string]interface{}{"event": "signal", "sig": s.String()})
			break loop
		case <-deadline:
			break loop
		}
	}
	printMembers()
	if *leave {
		err := ml.Leave(time.Second)
		emit(map[string]interface{}{"event": "left", "err": fmt.Sprint(err)})
	}
	ml.Shutdown()
	emit(map[string]interface{}{"event": "exit"})
}
