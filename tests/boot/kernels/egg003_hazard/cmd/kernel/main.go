// Command kernel only links package egg003_hazard; the ELF entry is its asm ·entry
// (go build -ldflags=-E=example.com/boot/egg003_hazard.entry). main never runs.
package main

import _ "example.com/boot/egg003_hazard"

func main() {}
