// src/launch.ts (what the extension launches and sends), compiled on the fly with esbuild.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const esbuild = require('esbuild');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eggls-vscode-test-'));
const out = path.join(tmp, 'launch.js');
esbuild.buildSync({
  entryPoints: [path.join(__dirname, '..', 'src', 'launch.ts')],
  outfile: out, format: 'cjs', platform: 'node', bundle: false, logLevel: 'silent',
});
const launch = require(out);
const REPO = process.env.EGGLS_REPO_ROOT || path.resolve(__dirname, '..', '..', '..');
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the server runs as `eggls --stdio` plus the extra arguments', () => {
  assert.deepEqual(launch.launchCommand({ args: [] }, '/usr/bin/eggls'),
    { command: '/usr/bin/eggls', args: ['--stdio'] });
  assert.deepEqual(launch.launchCommand({ args: ['--log-file', 'x'] }, '/e'),
    { command: '/e', args: ['--stdio', '--log-file', 'x'] });
});

test('the settings sent are the schema of server/eggls/config.py, unset keys left out', () => {
  const config = fs.readFileSync(path.join(REPO, 'server', 'eggls', 'config.py'), 'utf8');
  const m = /KEYS = \(([^)]*)\)/.exec(config);
  assert.ok(m, 'Config.KEYS not found in config.py');
  const keys = [...m[1].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]);
  assert.deepEqual([...launch.CONFIG_KEYS].sort(), keys.sort());

  const values = {
    entries: ['example.com/k.rt0'], sinks: [], build: '${workspaceFolder}/bin/k.elf',
    include_dirs: null, goos: '', goarch: 'amd64', go_version: undefined, disable: ['EGG007'],
    'server.path': 'never sent',
  };
  const got = launch.serverSettings((k) => values[k], '/ws', { HOME: '/home/u' });
  assert.deepEqual(got, {
    entries: ['example.com/k.rt0'], build: '/ws/bin/k.elf', goarch: 'amd64', disable: ['EGG007'],
  });
});

test('a bare name is looked up on PATH; a path is taken as it is', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'bin-'));
  const exe = path.join(dir, 'eggls');
  fs.writeFileSync(exe, '#!/bin/sh\n');
  fs.chmodSync(exe, 0o755);
  fs.writeFileSync(path.join(dir, 'notexec'), '');
  const env = { PATH: ['/nonexistent', dir].join(path.delimiter) };
  assert.equal(launch.resolveExecutable('eggls', env), exe);
  assert.equal(launch.resolveExecutable('missing-eggls', env), undefined);
  assert.equal(launch.resolveExecutable(exe, {}), exe);
  assert.equal(launch.resolveExecutable('./eggls', {}, dir), exe);
  if (process.platform !== 'win32') {
    assert.equal(launch.resolveExecutable(path.join(dir, 'notexec'), {}), undefined);
  }
});

test('rule list, rule codes and documentation links', () => {
  const rules = launch.parseRuleList(
    'EGG001  error        asm calls Go before SSE is enabled\n'
    + 'EGG008  information  the build is stale or for another GOARCH\n\nnoise\n');
  assert.deepEqual(rules, [
    { code: 'EGG001', severity: 'error', title: 'asm calls Go before SSE is enabled' },
    { code: 'EGG008', severity: 'information', title: 'the build is stale or for another GOARCH' },
  ]);
  assert.equal(launch.normalizeRuleCode(' egg003 '), 'EGG003');
  assert.equal(launch.normalizeRuleCode('EGG1'), undefined);
  assert.match(launch.ruleDocUrl('EGG001'), /docs\/rules\.md#egg001$/);
  assert.match(launch.INSTALL_COMMAND, /pip install eggls/);
});

test('a .s file is Go assembly when its directory holds a .go file', () => {
  const pkg = fs.mkdtempSync(path.join(tmp, 'pkg-'));
  const gas = fs.mkdtempSync(path.join(tmp, 'gas-'));
  fs.writeFileSync(path.join(pkg, 'k.go'), 'package k\n');
  fs.writeFileSync(path.join(pkg, 'k_amd64.s'), '');
  fs.writeFileSync(path.join(gas, 'start.s'), '');
  assert.equal(launch.isGoAssemblyFile(path.join(pkg, 'k_amd64.s')), true);
  assert.equal(launch.isGoAssemblyFile(path.join(gas, 'start.s')), false);
  assert.equal(launch.isGoAssemblyFile(path.join(pkg, 'k.go')), false);
});
