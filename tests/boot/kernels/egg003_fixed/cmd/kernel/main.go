// Command kernel only links package egg003_fixed; the ELF entry is its asm ·entry
// (go build -ldflags=-E=example.com/boot/egg003_fixed.entry). main never runs.
package main

import _ "example.com/boot/egg003_fixed"

func main() {}
