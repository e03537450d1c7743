// Command go-oracle ranks Layer 2 announcer candidates the way MetalLB's speaker does, using Go's
// own net.ParseIP / net.IP.String, crypto/sha256 and sort, so the TypeScript election can be
// checked against the real Go text forms and byte ordering.
//
// Input on stdin: one JSON object per line {"ip": "...", "nodes": [...], "scores": {...}}.
// Output: one JSON array per line with the nodes in announcer order, or {"error": "..."}.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net"
	"os"
	"sort"
)

type request struct {
	IP     string         `json:"ip"`
	Nodes  []string       `json:"nodes"`
	Scores map[string]int `json:"scores"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = out.Encode(map[string]string{"error": err.Error()})
			continue
		}
		ip := net.ParseIP(req.IP)
		if ip == nil {
			_ = out.Encode(map[string]string{"error": "invalid IP"})
			continue
		}
		key := ip.String()
		nodes := append([]string(nil), req.Nodes...)
		sort.Slice(nodes, func(i, j int) bool {
			si, sj := req.Scores[nodes[i]], req.Scores[nodes[j]]
			if si != sj {
				return si > sj
			}
			hi := sha256.Sum256([]byte(nodes[i] + "#" + key))
			hj := sha256.Sum256([]byte(nodes[j] + "#" + key))
			return bytes.Compare(hi[:], hj[:]) < 0
		})
		_ = out.Encode(map[string]interface{}{"order": nodes, "key": key})
	}
}
