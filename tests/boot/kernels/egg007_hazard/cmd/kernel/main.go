// Command kernel only links package egg007_hazard; the ELF entry is its asm ·entry
// (go build -ldflags=-E=example.com/boot/egg007_hazard.entry). main never runs.
package main

import _ "example.com/boot/egg007_hazard"

func main() {}
