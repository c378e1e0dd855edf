// What the extension launches and sends, without any VS Code API (unit-tested under node).
import * as fs from 'fs';
import * as path from 'path';

/** The install command shown when the server cannot be found. */
export const INSTALL_COMMAND = 'python3 -m pip install eggls';

/** The one configuration schema (server/eggls/config.py: Config.KEYS). */
export const CONFIG_KEYS = [
  'entries', 'sinks', 'build', 'include_dirs', 'goos', 'goarch', 'go_version', 'disable',
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

export interface LaunchSettings {
  path?: string | null;
  args?: readonly string[] | null;
}

export interface Launch {
  command: string;
  args: string[];
}

/** `eggls --stdio` plus the user's extra arguments. */
export function launchCommand(settings: LaunchSettings, resolved: string): Launch {
  return { command: resolved, args: ['--stdio', ...(settings.args ?? [])] };
}

function isExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The server executable: an absolute or relative path as given (relative paths against
 * `base`), or a bare name looked up on PATH (with PATHEXT on Windows). undefined when absent.
 */
export function resolveExecutable(
  name: string, env: NodeJS.ProcessEnv = process.env, base?: string,
): string | undefined {
  const expanded = name.replace(/^~(?=$|[\\/])/, env.HOME ?? env.USERPROFILE ?? '~');
  if (expanded.includes('/') || expanded.includes('\\')) {
    const file = path.isAbsolute(expanded) || !base ? path.resolve(expanded) : path.resolve(base, expanded);
    return isExecutable(file) ? file : undefined;
  }
  const exts = process.platform === 'win32'
    ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)]
    : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const file = path.join(dir, expanded + ext);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

/** `${workspaceFolder}`, `${userHome}` and `${env:NAME}` in a setting's value. */
export function expandVariables(value: string, workspaceFolder: string | undefined,
  env: NodeJS.ProcessEnv = process.env): string {
  return value
    .replace(/\$\{workspaceFolder\}/g, workspaceFolder ?? '${workspaceFolder}')
    .replace(/\$\{userHome\}/g, env.HOME ?? env.USERPROFILE ?? '')
    .replace(/\$\{env:([^}]+)\}/g, (_, n: string) => env[n] ?? '');
}

/**
 * The `eggls` section as the server reads it (initializationOptions and the answer to
 * workspace/configuration): exactly the schema's keys, unset ones left out so that
 * `.eggls.toml` still applies; editor-only settings (server.*, trace.*) are not sent.
 */
export function serverSettings(
  get: (key: ConfigKey) => unknown, workspaceFolder: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    let value = get(key);
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (typeof value === 'string') value = expandVariables(value, workspaceFolder, env);
    else if (Array.isArray(value)) {
      value = value.map((v) => (typeof v === 'string' ? expandVariables(v, workspaceFolder, env) : v));
    }
    out[key] = value;
  }
  return out;
}

/** Rule codes and titles from `eggls --list-rules` ("EGG001  error  title" per line). */
export function parseRuleList(text: string): { code: string; severity: string; title: string }[] {
  const rules = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^(EGG\d{3})\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m) rules.push({ code: m[1], severity: m[2], title: m[3].trim() });
  }
  return rules;
}

/** A rule code the user typed or a diagnostic carries (`egg1` is not one; `egg001` is). */
export function normalizeRuleCode(text: string): string | undefined {
  const m = /^\s*(egg\d{3})\s*$/i.exec(text);
  return m ? m[1].toUpperCase() : undefined;
}

/** Where docs/rules.md explains a rule (the fallback when `eggls --explain` fails). */
export function ruleDocUrl(code: string): string {
  return `https://github.com/eggls/eggls/blob/main/docs/rules.md#${code.toLowerCase()}`;
}

/**
 * Go assembly, as gopls decides it: a `.s` file in a directory that holds at least one
 * `.go` file.
 */
export function isGoAssemblyFile(file: string): boolean {
  if (!file.endsWith('.s')) return false;
  try {
    return fs.readdirSync(path.dirname(file)).some((n) => n.endsWith('.go'));
  } catch {
    return false;
  }
}
