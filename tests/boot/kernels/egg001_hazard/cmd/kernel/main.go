// Command kernel only links package egg001_hazard; the ELF entry is its asm ·entry
// (go build -ldflags=-E=example.com/boot/egg001_hazard.entry). main never runs.
package main

import _ "example.com/boot/egg001_hazard"

func main() {}
