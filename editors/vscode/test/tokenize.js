// Tokenizes Go assembly with the extension's TextMate grammar through vscode-textmate and
// vscode-oniguruma, the libraries VS Code itself uses.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const ROOT = path.resolve(__dirname, '..');
const GRAMMAR = path.join(ROOT, 'syntaxes', 'go-asm.tmLanguage.json');
const SCOPE = 'source.asm.go';

let grammarPromise;

function loadGrammar() {
  if (!grammarPromise) {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    const registry = new vsctm.Registry({
      onigLib,
      loadGrammar: async (scopeName) => {
        if (scopeName !== SCOPE) return null;
        return vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR);
      },
    });
    grammarPromise = registry.loadGrammar(SCOPE).then((g) => {
      if (!g) throw new Error(`grammar ${SCOPE} did not load`);
      return g;
    });
  }
  return grammarPromise;
}

/**
 * Tokens of a whole file: [{line (1-based), startIndex, text, scopes}], with the root scope
 * left out of `scopes`. Whitespace-only tokens that carry no scope but the root are dropped.
 */
async function tokenizeText(text) {
  const grammar = await loadGrammar();
  const out = [];
  let ruleStack = vsctm.INITIAL;
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const r = grammar.tokenizeLine(line, ruleStack);
    for (const t of r.tokens) {
      const tokText = line.substring(t.startIndex, t.endIndex);
      const scopes = t.scopes.filter((s) => s !== SCOPE);
      if (scopes.length === 0 && tokText.trim() === '') continue;
      out.push({ line: i + 1, startIndex: t.startIndex, text: tokText, scopes });
    }
    ruleStack = r.ruleStack;
  });
  return out;
}

module.exports = { loadGrammar, tokenizeText, SCOPE, GRAMMAR };
