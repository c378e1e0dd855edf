// Command kernel only links package egg002_hazard; the ELF entry is its asm ·entry
// (go build -ldflags=-E=example.com/boot/egg002_hazard.entry). main never runs.
package main

import _ "example.com/boot/egg002_hazard"

func main() {}
