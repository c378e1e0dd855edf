"""Go (Plan 9) assembly front end: lexer, preprocessor and parser agreeing with cmd/asm."""

from eggls.asm.frontend import AsmConfig, parse_file
from eggls.asm.model import AsmError, AsmFile, Instruction, SymbolRef, Text

__all__ = ["AsmConfig", "AsmError", "AsmFile", "Instruction", "SymbolRef", "Text", "parse_file"]
