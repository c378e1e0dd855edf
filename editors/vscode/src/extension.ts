// The eggls extension: runs `eggls --stdio` for Go and Go assembly files, marks `.s` files of
// Go packages as Go assembly (language id `go.s`, as gopls names it), and adds the commands
// "eggls: Explain rule" and "eggls: Restart".
import { execFile } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  CONFIG_KEYS,
  type ConfigKey,
  INSTALL_COMMAND,
  isGoAssemblyFile,
  launchCommand,
  normalizeRuleCode,
  parseRuleList,
  resolveExecutable,
  ruleDocUrl,
  serverSettings,
} from './launch';

const GO_ASM = 'go.s';
const SECTION = 'eggls';
const RULE_SCHEME = 'eggls-rule';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
const ruleTexts = new Map<string, string>();

function folderFor(uri?: vscode.Uri): vscode.WorkspaceFolder | undefined {
  if (uri) {
    const f = vscode.workspace.getWorkspaceFolder(uri);
    if (f) return f;
  }
  return vscode.workspace.workspaceFolders?.[0];
}

/** The schema keys for a resource, as the server should see them. */
function settingsFor(uri?: vscode.Uri): Record<string, unknown> {
  const folder = folderFor(uri);
  const cfg = vscode.workspace.getConfiguration(SECTION, uri ?? folder?.uri);
  return serverSettings((key: ConfigKey) => cfg.get(key), folder?.uri.fsPath);
}

/** The server executable, or undefined after telling the user how to install it. */
function serverExecutable(): { resolved?: string; configured: string; args: string[] } {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const configured = cfg.get<string>('server.path') || 'eggls';
  const args = cfg.get<string[]>('server.args') ?? [];
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return { resolved: resolveExecutable(configured, process.env, base), configured, args };
}

async function reportMissingServer(configured: string): Promise<void> {
  const copy = 'Copy install command';
  const settings = 'Open settings';
  const choice = await vscode.window.showErrorMessage(
    `eggls: the language server \`${configured}\` was not found. `
    + `Install it with \`${INSTALL_COMMAND}\`, or set "eggls.server.path".`,
    copy, settings);
  if (choice === copy) await vscode.env.clipboard.writeText(INSTALL_COMMAND);
  else if (choice === settings) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'eggls.server.path');
  }
}

async function startClient(): Promise<void> {
  const exe = serverExecutable();
  if (!exe.resolved) {
    void reportMissingServer(exe.configured);
    return;
  }
  const launch = launchCommand({ args: exe.args }, exe.resolved);
  const serverOptions: ServerOptions = { command: launch.command, args: launch.args };
  output ??= vscode.window.createOutputChannel('eggls');
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: GO_ASM },
      { scheme: 'file', language: 'go' },
    ],
    initializationOptions: settingsFor(),
    outputChannel: output,
    middleware: {
      workspace: {
        // Answer section "eggls" with the schema's keys only (not server.* / trace.*).
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          return params.items.map((item, i) => {
            if (item.section === SECTION) {
              return settingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined);
            }
            return answers[i];
          });
        },
      },
    },
  };
  const c = new LanguageClient('eggls', 'eggls', serverOptions, clientOptions);
  client = c;
  try {
    await c.start();
  } catch (e) {
    void vscode.window.showErrorMessage(
      `eggls: the language server (${launch.command} ${launch.args.join(' ')}) did not start: `
      + `${e instanceof Error ? e.message : String(e)}`);
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch {
      // already stopped or never started
    }
  }
}

async function restart(): Promise<void> {
  await stopClient();
  await startClient();
}

/** Marks `.s` documents of Go packages as Go assembly (eggls.goAssembly.detect says which). */
async function detectGoAssembly(doc: vscode.TextDocument): Promise<void> {
  if (doc.uri.scheme !== 'file' || doc.languageId === GO_ASM) return;
  const mode = vscode.workspace.getConfiguration(SECTION, doc.uri).get<string>('goAssembly.detect', 'directory');
  if (mode === 'off' || !doc.uri.fsPath.endsWith('.s')) return;
  if (mode === 'directory' && !isGoAssemblyFile(doc.uri.fsPath)) return;
  await vscode.languages.setTextDocumentLanguage(doc, GO_ASM);
}

function runEggls(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const exe = serverExecutable();
  if (!exe.resolved) {
    return Promise.reject(Object.assign(new Error(`${exe.configured} not found`), { code: 'ENOENT' }));
  }
  return new Promise((resolve, reject) => {
    execFile(exe.resolved!, args, { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The code of an eggls diagnostic under the cursor, if any. */
function codeAtCursor(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const pos = editor.selection.active;
  for (const d of vscode.languages.getDiagnostics(editor.document.uri)) {
    if (d.source !== 'eggls' || !d.range.contains(pos)) continue;
    const code = typeof d.code === 'object' ? d.code.value : d.code;
    const norm = code !== undefined ? normalizeRuleCode(String(code)) : undefined;
    if (norm) return norm;
  }
  return undefined;
}

async function pickRule(): Promise<string | undefined> {
  let items: vscode.QuickPickItem[] = [];
  try {
    const r = await runEggls(['--list-rules']);
    if (r.code === 0) {
      items = parseRuleList(r.stdout).map((rule) => ({
        label: rule.code, description: rule.severity, detail: rule.title,
      }));
    }
  } catch {
    // no server: fall back to typing the code
  }
  if (items.length > 0) {
    const picked = await vscode.window.showQuickPick(items, {
      title: 'eggls: Explain rule', placeHolder: 'Rule code', matchOnDetail: true,
    });
    return picked?.label;
  }
  const typed = await vscode.window.showInputBox({
    title: 'eggls: Explain rule', prompt: 'Rule code, e.g. EGG001',
    validateInput: (v) => (normalizeRuleCode(v) ? undefined : 'a code like EGG001'),
  });
  return typed ? normalizeRuleCode(typed) : undefined;
}

async function explainRule(arg?: unknown): Promise<void> {
  let code = typeof arg === 'string' ? normalizeRuleCode(arg) : undefined;
  code ??= codeAtCursor();
  code ??= await pickRule();
  if (!code) return;
  let failure: string;
  try {
    const r = await runEggls(['--explain', code]);
    if (r.code === 0 && r.stdout.trim()) {
      ruleTexts.set(code, r.stdout);
      const uri = vscode.Uri.from({ scheme: RULE_SCHEME, path: `/${code}.md` });
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
      return;
    }
    failure = (r.stderr.trim() || `exit status ${r.code}`).split('\n')[0];
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  const open = 'Open rule documentation';
  const choice = await vscode.window.showWarningMessage(
    `eggls: could not run \`eggls --explain ${code}\` (${failure}).`, open);
  if (choice === open) await vscode.env.openExternal(vscode.Uri.parse(ruleDocUrl(code)));
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(RULE_SCHEME, {
      provideTextDocumentContent: (uri) => ruleTexts.get(path.posix.basename(uri.path, '.md')) ?? '',
    }),
    vscode.commands.registerCommand('eggls.explainRule', explainRule),
    vscode.commands.registerCommand('eggls.restart', restart),
    vscode.workspace.onDidOpenTextDocument((doc) => void detectGoAssembly(doc)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('eggls.server')) {
        void restart();
      } else if (client && CONFIG_KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
        void client.sendNotification(DidChangeConfigurationNotification.type,
          { settings: { [SECTION]: settingsFor() } });
      }
    }),
    { dispose: () => void stopClient() },
  );
  for (const doc of vscode.workspace.textDocuments) await detectGoAssembly(doc);
  await startClient();
}

export function deactivate(): Thenable<void> | undefined {
  return stopClient();
}
