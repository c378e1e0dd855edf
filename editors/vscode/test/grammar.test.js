// The Go assembly TextMate grammar, run through vscode-textmate + vscode-oniguruma over the
// fixture kernels of tests/fixtures/kernels (EGGLS_REPO_ROOT: the eggls checkout, when the
// extension is built outside it).
//
// 1. Representative tokens have exactly the scopes written below (the contract for themes).
// 2. Every fixture .s file tokenizes exactly as its committed snapshot in test/snapshots/.
//    After an intended grammar change: UPDATE_SNAPSHOTS=1 npm test, and review the diff.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { tokenizeText } = require('./tokenize');

const REPO = process.env.EGGLS_REPO_ROOT || path.resolve(__dirname, '..', '..', '..');
const KERNELS = path.join(REPO, 'tests', 'fixtures', 'kernels');
const SNAPSHOTS = path.join(__dirname, 'snapshots');
const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';

function fixture(kernel) {
  return path.join(KERNELS, kernel, 'kernel_amd64.s');
}

function kernels() {
  return fs.readdirSync(KERNELS, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(fixture(d.name)))
    .map((d) => d.name)
    .sort();
}

const cache = new Map();
async function tokens(kernel) {
  if (!cache.has(kernel)) cache.set(kernel, tokenizeText(fs.readFileSync(fixture(kernel), 'utf8')));
  return cache.get(kernel);
}

/** The token of `kernel` on `line` (1-based) whose text is `text` (the nth such, from 0). */
async function tokenAt(kernel, line, text, nth = 0) {
  const found = (await tokens(kernel)).filter((t) => t.line === line && t.text === text);
  assert.ok(found.length > nth,
    `${kernel}:${line}: no token ${JSON.stringify(text)} (#${nth}); tokens there: `
    + JSON.stringify((await tokens(kernel)).filter((t) => t.line === line).map((t) => t.text)));
  return found[nth];
}

/** [kernel, line, token text, expected scopes (outermost first, root left out)] */
const REPRESENTATIVE = [
  // TEXT header: the directive, the defined symbol, a flag, the frame size
  ['bootsse', 7, 'TEXT', ['meta.function.go-asm', 'storage.type.function.text.go-asm']],
  ['bootsse', 7, '·', ['meta.function.go-asm', 'meta.symbol.definition.go-asm',
    'punctuation.separator.namespace.go-asm']],
  ['bootsse', 7, 'rt0', ['meta.function.go-asm', 'meta.symbol.definition.go-asm',
    'entity.name.function.go-asm']],
  ['bootsse', 7, 'NOSPLIT', ['meta.function.go-asm', 'constant.language.flag.go-asm']],
  ['bootsse', 7, '16', ['meta.function.go-asm', 'constant.numeric.frame-size.go-asm',
    'constant.numeric.decimal.frame.go-asm']],
  ['idt', 14, 'NOFRAME', ['meta.function.go-asm', 'constant.language.flag.go-asm']],
  ['idt', 14, '|', ['meta.function.go-asm', 'keyword.operator.bitwise.go-asm']],
  // a ·-qualified symbol reference: CALL ·preinit(SB)
  ['bootsse', 10, 'CALL', ['keyword.control.instruction.branch.go-asm']],
  ['bootsse', 10, '·', ['meta.symbol.go-asm', 'punctuation.separator.namespace.go-asm']],
  ['bootsse', 10, 'preinit', ['meta.symbol.go-asm', 'variable.other.symbol.go-asm']],
  ['bootsse', 10, 'SB', ['meta.symbol.go-asm', 'variable.language.register.pseudo.go-asm']],
  // the trailing comment of the same line
  ['bootsse', 10, '//', ['comment.line.double-slash.go-asm',
    'punctuation.definition.comment.go-asm']],
  ['bootsse', 10, ' want EGG001 EGG002', ['comment.line.double-slash.go-asm']],
  // an eggls annotation inside a comment
  ['bootsse', 6, 'eggls:entry', ['comment.line.double-slash.go-asm',
    'keyword.other.directive.eggls.go-asm']],
  // registers: general, control, segment
  ['bootsse', 8, 'MOVQ', ['keyword.other.instruction.go-asm']],
  ['bootsse', 8, 'AX', ['variable.language.register.go-asm']],
  ['bootsse', 21, 'CR0', ['variable.language.register.go-asm']],
  ['sysentry', 30, 'GS', ['variable.language.register.go-asm']],
  // $ immediates: a symbol address, a number, an expression
  ['bootsse', 12, '$', ['punctuation.definition.immediate.go-asm']],
  ['bootsse', 12, 'apentry', ['meta.symbol.go-asm', 'variable.other.symbol.go-asm']],
  ['bootsse', 33, '0xc0000100', ['constant.numeric.immediate.go-asm']],
  ['bootsse', 22, '<<', ['keyword.operator.bitwise.shift.go-asm']],
  // arguments on the frame pointer
  ['bootfs', 25, 'reg', ['variable.parameter.go-asm']],
  ['bootfs', 25, 'FP', ['variable.language.register.pseudo.go-asm']],
  // labels: definition and branch target
  ['bootsse', 36, 'hang', ['entity.name.label.go-asm']],
  ['bootsse', 38, 'hang', ['entity.name.label.reference.go-asm']],
  // the preprocessor and macros: #include, #define NAME, a macro body, a macro invocation
  ['bootsse', 1, 'include', ['meta.preprocessor.include.go-asm',
    'keyword.control.directive.include.go-asm']],
  ['bootsse', 1, '"textflag.h"', ['meta.preprocessor.include.go-asm',
    'string.quoted.double.include.go-asm']],
  ['idt', 5, 'PUSH_REGS', ['meta.preprocessor.macro.go-asm',
    'entity.name.function.preprocessor.go-asm']],
  ['idt', 6, 'PUSHQ', ['meta.preprocessor.macro.go-asm', 'keyword.other.instruction.go-asm']],
  ['idt', 7, 'R15', ['meta.preprocessor.macro.go-asm', 'variable.language.register.go-asm']],
  ['idt', 41, 'PUSH_REGS', ['entity.name.function.macro.go-asm']],
  // DATA / GLOBL
  ['idt', 94, 'DATA', ['meta.data.go-asm', 'storage.type.data.go-asm']],
  ['idt', 94, 'vectortab', ['meta.data.go-asm', 'meta.symbol.definition.go-asm',
    'entity.name.variable.go-asm']],
  ['idt', 94, '<>', ['meta.data.go-asm', 'meta.symbol.definition.go-asm',
    'storage.modifier.static.go-asm']],
  ['idt', 98, 'GLOBL', ['meta.data.go-asm', 'storage.type.data.go-asm']],
  ['idt', 98, 'RODATA', ['meta.data.go-asm', 'constant.language.flag.go-asm']],
  // raw bytes (SYSRETQ)
  ['sysentry', 47, 'BYTE', ['keyword.other.data.go-asm']],
];

for (const [kernel, line, text, scopes] of REPRESENTATIVE) {
  test(`${kernel}:${line} ${JSON.stringify(text)} is ${scopes[scopes.length - 1]}`, async () => {
    const tok = await tokenAt(kernel, line, text);
    assert.deepEqual(tok.scopes, scopes);
  });
}

test('every line of a file after a #define body is outside the macro', async () => {
  for (const t of await tokens('idt')) {
    if (t.line >= 11) assert.ok(!t.scopes.includes('meta.preprocessor.macro.go-asm'),
      `idt:${t.line} ${JSON.stringify(t.text)} is still in the macro: ${t.scopes.join(' ')}`);
  }
});

test('no instruction word is left unscoped', async () => {
  // The first word of every statement line is an instruction, a directive, a label or a macro.
  for (const kernel of kernels()) {
    const toks = await tokens(kernel);
    const lines = new Map();
    for (const t of toks) if (!lines.has(t.line) && t.text.trim() !== '') lines.set(t.line, t);
    for (const [line, t] of lines) {
      assert.ok(t.scopes.length > 0,
        `${kernel}:${line}: first token ${JSON.stringify(t.text)} has no scope`);
    }
  }
});

for (const kernel of kernels()) {
  test(`snapshot: ${kernel}/kernel_amd64.s`, async () => {
    const got = (await tokens(kernel)).map((t) => `${t.line}:${t.startIndex} ${JSON.stringify(t.text)} ${t.scopes.join(' ')}`);
    const file = path.join(SNAPSHOTS, `${kernel}.snap`);
    if (UPDATE || !fs.existsSync(file)) {
      if (!UPDATE) assert.fail(`no snapshot ${file}: run UPDATE_SNAPSHOTS=1 npm test`);
      fs.mkdirSync(SNAPSHOTS, { recursive: true });
      fs.writeFileSync(file, got.join('\n') + '\n');
      return;
    }
    const want = fs.readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
    assert.deepEqual(got, want);
  });
}

test('the fixture kernels were found', () => {
  assert.ok(kernels().length >= 6, `expected the fixture kernels under ${KERNELS}`);
});
