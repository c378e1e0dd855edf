// A stand-in for the `eggls` executable in test/activate.test.js: `--list-rules`,
// `--explain CODE`, and `--stdio` (a minimal LSP server). Everything it receives is appended
// as JSON lines to $FAKE_EGGLS_LOG.
'use strict';

const fs = require('node:fs');

const args = process.argv.slice(2);
function log(o) {
  if (process.env.FAKE_EGGLS_LOG) fs.appendFileSync(process.env.FAKE_EGGLS_LOG, `${JSON.stringify(o)}\n`);
}
log({ argv: args });

if (args[0] === '--list-rules') {
  process.stdout.write('EGG001  error        asm calls Go before SSE is enabled\n');
  process.exit(0);
}
if (args[0] === '--explain') {
  if (args[1] === 'EGG001') {
    process.stdout.write('EGG001 go-call-before-sse\ndefault severity: error\n');
    process.exit(0);
  }
  process.stderr.write(`eggls: unknown rule code '${args[1]}' (see eggls --list-rules)\n`);
  process.exit(2);
}
if (!args.includes('--stdio')) {
  process.stderr.write('eggls: expected --stdio\n');
  process.exit(2);
}

let buf = Buffer.alloc(0);
let nextId = 1000;
function send(msg) {
  const s = JSON.stringify({ jsonrpc: '2.0', ...msg });
  process.stdout.write(`Content-Length: ${Buffer.byteLength(s)}\r\n\r\n${s}`);
}
function handle(msg) {
  log({ method: msg.method, id: msg.id, params: msg.params, result: msg.result });
  if (msg.method === 'initialize') {
    send({ id: msg.id, result: { capabilities: { textDocumentSync: 1 }, serverInfo: { name: 'fake-eggls', version: '0' } } });
  } else if (msg.method === 'initialized') {
    send({ id: nextId++, method: 'workspace/configuration', params: { items: [{ section: 'eggls' }] } });
  } else if (msg.method === 'shutdown') {
    send({ id: msg.id, result: null });
  } else if (msg.method === 'exit') {
    process.exit(0);
  }
}
process.stdin.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  for (;;) {
    const h = buf.indexOf('\r\n\r\n');
    if (h < 0) return;
    const m = /Content-Length: *(\d+)/i.exec(buf.subarray(0, h).toString());
    const len = Number(m[1]);
    if (buf.length < h + 4 + len) return;
    const msg = JSON.parse(buf.subarray(h + 4, h + 4 + len).toString());
    buf = buf.subarray(h + 4 + len);
    handle(msg);
  }
});
process.stdin.on('end', () => process.exit(0));
