// Dials out with Go's own network stack (no libc): TCP to a public address, UDP to a DNS
// server, and a DNS lookup.
// Attacks: network isolation from a runtime that makes its system calls directly.
// Sandbox should: refuse each socket with EAFNOSUPPORT ("address family not supported
// by protocol"); the lookup fails without reaching any resolver.
// limits: cpu_ms=2000 wall_ms=4000
// expect: status=ok
// expect: stdout-contains=tcp: dial tcp 1.1.1.1:80: socket: address family not supported by protocol\n
// expect: stdout-contains=udp: dial udp 8.8.8.8:53: socket: address family not supported by protocol\n
// expect: stdout-line=lookup: .*
// expect: stdout-no-line=.*: connected
package main

import (
	"fmt"
	"net"
)

func main() {
	for _, target := range [][2]string{{"tcp", "1.1.1.1:80"}, {"udp", "8.8.8.8:53"}} {
		c, err := net.Dial(target[0], target[1])
		if err != nil {
			fmt.Printf("%s: %v\n", target[0], err)
			continue
		}
		fmt.Printf("%s: connected\n", target[0])
		c.Close()
	}
	addrs, err := net.LookupHost("example.com")
	if err != nil {
		fmt.Printf("lookup: %v\n", err)
	} else {
		fmt.Printf("lookup: connected %v\n", addrs)
	}
}
