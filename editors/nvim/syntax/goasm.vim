" Go (Plan 9) assembly: comments, preprocessor, TEXT/DATA/GLOBL, textflag.h flags, registers,
" pkg·sym(SB) symbols, $ immediates, labels. Mirrors editors/vscode's TextMate grammar.
if exists('b:current_syntax')
  finish
endif

syn case match
syn keyword goasmTodo contained TODO FIXME XXX NOTE
syn match goasmEggls contained "\<eggls:[a-z-]\+\>"
syn region goasmComment start="//" end="$" contains=goasmTodo,goasmEggls,@Spell
syn region goasmComment start="/\*" end="\*/" contains=goasmTodo,goasmEggls,@Spell
syn match goasmBuild "^//go:build\>.*$"
syn region goasmString start=+"+ skip=+\\\\\|\\"+ end=+"+ oneline
syn match goasmInclude "^\s*#\s*include\>"
syn match goasmPreProc "^\s*#\s*\(define\|undef\|ifdef\|ifndef\|else\|endif\|line\)\>"
syn keyword goasmDirective TEXT DATA GLOBL FUNCDATA PCDATA PCALIGN BYTE WORD LONG QUAD
syn keyword goasmFlag NOPROF DUPOK NOSPLIT RODATA NOPTR WRAPPER NEEDCTXT TLSBSS NOFRAME REFLECTMETHOD TOPFRAME ABIWRAPPER PKGINIT
syn keyword goasmPseudoReg SB FP PC TLS
syn match goasmRegister "\<\([A-D]X\|SI\|DI\|BP\|SP\|[A-D][LH]\|R\d\{1,2}[BWL]\=\|[XYZ]\d\{1,2}\|K[0-7]\|[CSDEFG]S\|CR\d\{1,2}\|DR[0-7]\|F\d\{1,2}\|V\d\{1,2}\|RSP\|ZR\|g\)\>"
syn match goasmSymbol "[[:alnum:]_./∕]*·[[:alnum:]_.]\+\(<\(ABI0\|ABIInternal\)\=>\)\="
syn match goasmNumber "\<\(0[xX]\x\+\|0[bB][01]\+\|\d\+\)\>"
syn match goasmImmediate "\$"
syn match goasmLabel "^\s*\h\w*:"

hi def link goasmTodo Todo
hi def link goasmEggls SpecialComment
hi def link goasmComment Comment
hi def link goasmBuild PreProc
hi def link goasmString String
hi def link goasmInclude Include
hi def link goasmPreProc PreProc
hi def link goasmDirective Statement
hi def link goasmFlag Constant
hi def link goasmPseudoReg Special
hi def link goasmRegister Identifier
hi def link goasmSymbol Function
hi def link goasmNumber Number
hi def link goasmImmediate Operator
hi def link goasmLabel Label

let b:current_syntax = 'goasm'
