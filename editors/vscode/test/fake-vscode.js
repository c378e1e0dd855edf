// Just enough of the `vscode` API to activate the bundled extension under node and let
// vscode-languageclient start a server. Calls and messages shown are recorded in `fake.log`.
'use strict';

const path = require('node:path');
const { pathToFileURL, fileURLToPath } = require('node:url');

const log = [];

class Disposable {
  constructor(fn) { this._fn = fn; }
  static from(...ds) { return new Disposable(() => ds.forEach((d) => d && d.dispose && d.dispose())); }
  dispose() { if (this._fn) this._fn(); this._fn = undefined; }
}

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (fn) => {
      this.listeners.push(fn);
      return new Disposable(() => { this.listeners = this.listeners.filter((l) => l !== fn); });
    };
  }
  fire(e) { for (const l of [...this.listeners]) l(e); }
  dispose() { this.listeners = []; }
}

class Uri {
  constructor(scheme, p, query = '', fragment = '') {
    this.scheme = scheme; this.path = p; this.query = query; this.fragment = fragment;
    this.authority = '';
  }
  static file(p) { return new Uri('file', path.resolve(p)); }
  static parse(s) {
    const u = new URL(s);
    return u.protocol === 'file:' ? Uri.file(fileURLToPath(u)) : new Uri(u.protocol.slice(0, -1), decodeURIComponent(u.pathname));
  }
  static from(c) { return new Uri(c.scheme, c.path ?? '', c.query ?? '', c.fragment ?? ''); }
  get fsPath() { return this.path; }
  with(c) { return Uri.from({ ...this, ...c }); }
  toString() { return this.scheme === 'file' ? pathToFileURL(this.path).href : `${this.scheme}:${this.path}`; }
  toJSON() { return this.toString(); }
}

class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
    this._emitter = emitter;
  }
  cancel() { this.token.isCancellationRequested = true; this._emitter.fire(); }
  dispose() {}
}

class CancellationError extends Error {}

/** Anything not modelled: callable, constructible, every property another stub, no `then`. */
function stub(name) {
  const fn = function () { return stub(`${name}()`); };
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined;
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === Symbol.iterator) return function* () {};
      if (prop === 'dispose') return () => {};
      return stub(`${name}.${String(prop)}`);
    },
    construct() { return stub(`new ${name}`); },
  });
}

function withStubs(obj, name) {
  return new Proxy(obj, {
    get(t, prop) {
      if (prop in t) return t[prop];
      if (prop === 'then') return undefined;
      return stub(`${name}.${String(prop)}`);
    },
  });
}

const settings = {};
let folders = [];
const documents = [];
const onDidOpen = new EventEmitter();
const onDidChangeConfiguration = new EventEmitter();
const event = () => new EventEmitter().event;

const workspace = withStubs({
  get workspaceFolders() { return folders.length ? folders : undefined; },
  get textDocuments() { return documents; },
  getWorkspaceFolder: (uri) => folders.find((f) => uri.fsPath.startsWith(f.uri.fsPath)),
  getConfiguration(section) {
    const prefix = section ? `${section}.` : '';
    return {
      get: (key, dflt) => (`${prefix}${key}` in settings ? settings[`${prefix}${key}`] : dflt),
      has: (key) => `${prefix}${key}` in settings,
      inspect: () => undefined,
      update: async () => {},
    };
  },
  onDidOpenTextDocument: onDidOpen.event,
  onDidCloseTextDocument: event(),
  onDidChangeTextDocument: event(),
  onDidSaveTextDocument: event(),
  onWillSaveTextDocument: event(),
  onDidChangeWorkspaceFolders: event(),
  onDidChangeConfiguration: onDidChangeConfiguration.event,
  registerTextDocumentContentProvider: () => new Disposable(),
  createFileSystemWatcher: () => ({ onDidCreate: event(), onDidChange: event(), onDidDelete: event(), dispose() {} }),
}, 'workspace');

const outputLines = [];
function outputChannel(name) {
  return withStubs({
    name,
    append: (s) => outputLines.push(s),
    appendLine: (s) => outputLines.push(s),
    replace: () => {}, clear: () => {}, show: () => {}, hide: () => {}, dispose: () => {},
  }, 'OutputChannel');
}

const messages = [];
function message(kind) {
  return async (text, ...items) => {
    messages.push({ kind, text, items: items.filter((i) => typeof i === 'string') });
    return undefined;
  };
}

const window = withStubs({
  createOutputChannel: outputChannel,
  showErrorMessage: message('error'),
  showWarningMessage: message('warning'),
  showInformationMessage: message('information'),
  activeTextEditor: undefined,
  visibleTextEditors: [],
  onDidChangeActiveTextEditor: event(),
  onDidChangeVisibleTextEditors: event(),
  tabGroups: { all: [], onDidChangeTabs: event(), onDidChangeTabGroups: event() },
  withProgress: async (_o, task) => task({ report() {} }, new CancellationTokenSource().token),
}, 'window');

const commands = new Map();
const vscode = {
  version: '1.82.0',
  Disposable, EventEmitter, Uri, CancellationTokenSource, CancellationError,
  workspace,
  window,
  languages: withStubs({
    match: () => 0,
    getDiagnostics: () => [],
    createDiagnosticCollection: () => withStubs({ set() {}, delete() {}, clear() {}, dispose() {} }, 'DiagnosticCollection'),
    setTextDocumentLanguage: async (doc, id) => { doc.languageId = id; return doc; },
  }, 'languages'),
  commands: withStubs({
    registerCommand: (id, fn) => { commands.set(id, fn); return new Disposable(() => commands.delete(id)); },
    executeCommand: async (id, ...args) => (commands.has(id) ? commands.get(id)(...args) : undefined),
  }, 'commands'),
  env: withStubs({ appName: 'fake-vscode', language: 'en', uiKind: 1, openExternal: async () => true }, 'env'),
  extensions: withStubs({ all: [], getExtension: () => undefined }, 'extensions'),
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ViewColumn: { Active: -1, Beside: -2, One: 1 },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  UIKind: { Desktop: 1, Web: 2 },
};

const fake = {
  log, messages, outputLines, commands, settings, documents, onDidOpen, onDidChangeConfiguration,
  setFolders(dirs) {
    folders = dirs.map((d, index) => ({ uri: Uri.file(d), name: path.basename(d), index }));
  },
  textDocument(file, languageId) {
    return { uri: Uri.file(file), fileName: file, languageId, version: 1, isClosed: false, getText: () => '' };
  },
};

module.exports = new Proxy(vscode, {
  get(t, prop) {
    if (prop === '__fake') return fake;
    if (prop in t) return t[prop];
    if (prop === 'then' || prop === '__esModule') return undefined;
    return stub(`vscode.${String(prop)}`);
  },
});
