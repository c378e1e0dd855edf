// Command kernel only links package egg001_fixed; the ELF entry is its asm ·entry
// (go build -ldflags=-E=example.com/boot/egg001_fixed.entry). main never runs.
package main

import _ "example.com/boot/egg001_fixed"

func main() {}
