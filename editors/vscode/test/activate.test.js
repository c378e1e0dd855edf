// The bundled extension, activated under node with a fake `vscode` module (test/fake-vscode.js)
// and a fake `eggls` (test/fake-server.js): what it launches, what it sends, its commands.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Module = require('node:module');
const esbuild = require('esbuild');

const FAKE_VSCODE = path.join(__dirname, 'fake-vscode.js');
const origResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? FAKE_VSCODE : origResolve.call(this, request, ...rest);
};
const vscode = require('vscode');
const fake = vscode.__fake;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eggls-vscode-activate-'));
const ws = path.join(tmp, 'kernel');
const gas = path.join(tmp, 'gas');
const logFile = path.join(tmp, 'server.log');
const serverExe = path.join(tmp, 'bin', 'eggls');

function setUp() {
  fs.mkdirSync(ws, { recursive: true });
  fs.mkdirSync(gas, { recursive: true });
  fs.mkdirSync(path.dirname(serverExe), { recursive: true });
  fs.writeFileSync(path.join(ws, 'go.mod'), 'module example.com/k\n\ngo 1.21\n');
  fs.writeFileSync(path.join(ws, 'k.go'), 'package k\n\nfunc rt0()\n');
  fs.writeFileSync(path.join(ws, 'k_amd64.s'), 'TEXT ·rt0(SB), 4, $0\n\tRET\n');
  fs.writeFileSync(path.join(gas, 'start.s'), '\t.globl _start\n');
  fs.writeFileSync(serverExe,
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(__dirname, 'fake-server.js')}" "$@"\n`);
  fs.chmodSync(serverExe, 0o755);
}

function serverLog() {
  if (!fs.existsSync(logFile)) return [];
  return fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function until(what, pred, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = pred();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}; server log: ${JSON.stringify(serverLog())}; `
    + `messages: ${JSON.stringify(fake.messages)}; output: ${fake.outputLines.join('')}`);
}

test('activation, launch, settings, commands', { skip: process.platform === 'win32' }, async (t) => {
  setUp();
  process.env.FAKE_EGGLS_LOG = logFile;
  const bundle = path.join(tmp, 'extension.js');
  esbuild.buildSync({
    entryPoints: [path.join(__dirname, '..', 'src', 'extension.ts')], outfile: bundle,
    bundle: true, external: ['vscode'], format: 'cjs', platform: 'node', logLevel: 'silent',
  });
  const ext = require(bundle);

  fake.setFolders([ws]);
  Object.assign(fake.settings, {
    'eggls.server.path': serverExe,
    'eggls.server.args': ['--extra-arg'],
    'eggls.build': '${workspaceFolder}/bin/kernel.elf',
    'eggls.entries': ['example.com/k.rt0'],
    'eggls.goos': null,
    'eggls.disable': [],
    'eggls.trace.server': 'off',
  });
  const asmDoc = fake.textDocument(path.join(ws, 'k_amd64.s'), 'plaintext');
  const gasDoc = fake.textDocument(path.join(gas, 'start.s'), 'plaintext');
  fake.documents.push(asmDoc, gasDoc);

  const context = { subscriptions: [], extensionPath: tmp, asAbsolutePath: (p) => path.join(tmp, p) };
  await ext.activate(context);
  t.after(async () => {
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
  });

  await t.test('a .s file beside .go files becomes go.s; others stay', () => {
    assert.equal(asmDoc.languageId, 'go.s');
    assert.equal(gasDoc.languageId, 'plaintext');
  });

  await t.test('the server runs as `<eggls.server.path> --stdio <eggls.server.args>`', async () => {
    const start = await until('the server start', () => serverLog().find((e) => e.argv?.includes('--stdio')));
    assert.deepEqual(start.argv, ['--stdio', '--extra-arg']);
  });

  const expected = { build: path.join(ws, 'bin', 'kernel.elf'), entries: ['example.com/k.rt0'] };
  await t.test('initializationOptions: the schema keys that are set', async () => {
    const init = await until('initialize', () => serverLog().find((e) => e.method === 'initialize'));
    assert.deepEqual(init.params.initializationOptions, expected);
    assert.equal(init.params.rootUri, vscode.Uri.file(ws).toString());
  });

  await t.test('workspace/configuration section eggls: the same keys, nothing editor-only', async () => {
    const answer = await until('the configuration answer', () => serverLog().find((e) => e.id === 1000 && e.result));
    assert.deepEqual(answer.result, [expected]);
  });

  await t.test('eggls: Explain rule runs `eggls --explain CODE`', async () => {
    await vscode.commands.executeCommand('eggls.explainRule', 'egg001');
    assert.ok(serverLog().some((e) => JSON.stringify(e.argv) === '["--explain","EGG001"]'));
    assert.equal(fake.messages.length, 0, JSON.stringify(fake.messages));
    await vscode.commands.executeCommand('eggls.explainRule', 'EGG999');
    const warn = fake.messages.pop();
    assert.equal(warn.kind, 'warning');
    assert.match(warn.text, /eggls --explain EGG999/);
    assert.deepEqual(warn.items, ['Open rule documentation']);
  });

  await t.test('eggls: Restart, with the server missing: the install command', async () => {
    fake.settings['eggls.server.path'] = path.join(tmp, 'nowhere', 'eggls');
    await vscode.commands.executeCommand('eggls.restart');
    assert.ok(serverLog().some((e) => e.method === 'shutdown'), 'the old server was not shut down');
    const err = await until('the error message', () => fake.messages.find((m) => m.kind === 'error'));
    assert.match(err.text, /python3 -m pip install eggls/);
    assert.match(err.text, /nowhere\/eggls/);
  });
});
