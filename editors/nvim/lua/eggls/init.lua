-- eggls for Neovim: Go assembly filetype detection and the eggls language server.
--
--   require("eggls").setup({
--     settings = { build = "bin/kernel.elf", entries = { "example.com/kernel.rt0" } },
--   })
--
-- Neovim 0.11+: registered with vim.lsp.config("eggls", ...) and vim.lsp.enable("eggls").
-- Neovim 0.8-0.10: vim.lsp.start() from a FileType autocommand.
-- Neovim 0.7: vim.lsp.start_client() + vim.lsp.buf_attach_client(), one client per root.

local M = {}

M.name = "eggls"
M.filetype = "goasm" -- Neovim's filetype for Go assembly; the LSP language id is "go.s"
M.language_id = "go.s" -- as gopls names it, so both servers understand the document

-- The one configuration schema (server/eggls/config.py).
M.config_keys = { "entries", "sinks", "build", "include_dirs", "goos", "goarch", "go_version", "disable" }

local defaults = {
  cmd = { "eggls", "--stdio" },
  filetypes = { "goasm", "go" },
  root_markers = { "go.mod" },
  settings = {}, -- keys of the schema above; sent as initializationOptions and section "eggls"
  detect = "directory", -- which .s files are Go assembly: "directory" (a .go file beside), "all", "off"
  autostart = true,
  on_attach = nil,
  capabilities = nil,
}

M.options = vim.deepcopy(defaults)

local uv = vim.loop or vim.uv

local function is_dir(path)
  local st = path and uv.fs_stat(path)
  return st ~= nil and st.type == "directory"
end

local function dirname(path)
  return (path:gsub("/+$", ""):match("^(.*)/[^/]*$")) or "."
end

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

--- True when `path` (a .s file) sits in a directory that holds at least one .go file.
function M.is_go_assembly(path)
  if M.options.detect == "off" or not path or not path:match("%.s$") then
    return false
  end
  if M.options.detect == "all" then
    return true
  end
  local handle = uv.fs_scandir(dirname(path))
  if not handle then
    return false
  end
  while true do
    local name, typ = uv.fs_scandir_next(handle)
    if not name then
      return false
    end
    if name:match("%.go$") and typ ~= "directory" then
      return true
    end
  end
end

--- The directory of the nearest go.mod above `path` (else the file's own directory).
function M.root_dir(path)
  if not path or path == "" then
    return nil
  end
  local dir = is_dir(path) and path or dirname(path)
  while dir and dir ~= "" do
    for _, marker in ipairs(M.options.root_markers) do
      if exists(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = dirname(dir)
    if parent == dir or parent == "." then
      break
    end
    dir = parent
  end
  return dirname(path)
end

local function buf_path(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or name:match("^%a[%w+.-]*://") then
    return nil
  end
  return vim.fn.fnamemodify(name, ":p")
end

local function get_language_id(_, filetype)
  if filetype == M.filetype then
    return M.language_id
  end
  return filetype
end

--- The eggls section: only the schema's keys.
function M.server_settings()
  local out = {}
  for _, key in ipairs(M.config_keys) do
    local v = M.options.settings[key]
    if v ~= nil and v ~= vim.NIL then
      out[key] = v
    end
  end
  return out
end

local function client_config(root)
  local settings = M.server_settings()
  local cfg = {
    name = M.name,
    cmd = M.options.cmd,
    root_dir = root,
    workspace_folders = root and { { uri = vim.uri_from_fname(root), name = root } } or nil,
    init_options = settings,
    settings = { eggls = settings },
    get_language_id = get_language_id,
    on_attach = M.options.on_attach,
    capabilities = M.options.capabilities,
  }
  if next(settings) == nil then
    cfg.init_options = vim.empty_dict()
    cfg.settings = { eggls = vim.empty_dict() }
  end
  return cfg
end

--- Sets 'filetype' to goasm for Go assembly .s buffers (after Neovim's own detection, which
--- calls them asm).
local function detect(bufnr)
  local path = buf_path(bufnr)
  if path and vim.bo[bufnr].filetype ~= M.filetype and M.is_go_assembly(path) then
    vim.bo[bufnr].filetype = M.filetype
  end
end

-- Neovim 0.7: one client per root, attached by hand.
local clients_by_root = {}

local function start_legacy(bufnr)
  local path = buf_path(bufnr)
  if not path then
    return
  end
  local root = M.root_dir(path)
  local id = clients_by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(client_config(root))
    if not id then
      vim.notify("eggls: could not start " .. table.concat(M.options.cmd, " "), vim.log.levels.ERROR)
      return
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

local function start(bufnr)
  if vim.lsp.start then
    local path = buf_path(bufnr)
    if not path then
      return
    end
    vim.lsp.start(client_config(M.root_dir(path)), { bufnr = bufnr })
  else
    start_legacy(bufnr)
  end
end

local function check_executable()
  local exe = M.options.cmd[1]
  if vim.fn.executable(exe) == 1 then
    return true
  end
  vim.schedule(function()
    vim.notify(
      ("eggls: `%s` was not found. Install it with `python3 -m pip install eggls`, "
        .. "or pass cmd = { '/path/to/eggls', '--stdio' } to require('eggls').setup()."):format(exe),
      vim.log.levels.ERROR
    )
  end)
  return false
end

local augroup

--- Options: cmd, filetypes, root_markers, settings (schema keys), detect, autostart,
--- on_attach, capabilities.
function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  if opts and opts.settings then
    M.options.settings = opts.settings -- lists are values, not merged
  end

  augroup = vim.api.nvim_create_augroup("eggls", { clear = true })
  vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
    group = augroup,
    pattern = "*.s",
    callback = function(args)
      detect(args.buf)
    end,
  })

  M.register_commands()

  if not M.options.autostart then
    return M
  end
  local have_exe = check_executable()

  if vim.lsp.config and vim.lsp.enable then
    local cfg = client_config(nil)
    cfg.name = nil
    cfg.root_dir = function(bufnr, on_dir)
      local path = buf_path(bufnr)
      if path then
        on_dir(M.root_dir(path))
      end
    end
    cfg.workspace_folders = nil
    cfg.filetypes = M.options.filetypes
    vim.lsp.config(M.name, cfg)
    if have_exe then
      vim.lsp.enable(M.name)
    end
  elseif have_exe then
    vim.api.nvim_create_autocmd("FileType", {
      group = augroup,
      pattern = M.options.filetypes,
      callback = function(args)
        start(args.buf)
      end,
    })
  end

  -- Buffers opened before setup().
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      detect(bufnr)
      if have_exe and not (vim.lsp.config and vim.lsp.enable)
          and vim.tbl_contains(M.options.filetypes, vim.bo[bufnr].filetype) then
        start(bufnr)
      end
    end
  end
  return M
end

local function clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.name })
  end
  local out = {}
  for _, c in pairs(vim.lsp.get_active_clients()) do
    if c.name == M.name then
      table.insert(out, c)
    end
  end
  return out
end

--- Stops every eggls client and starts them again for the open buffers.
function M.restart()
  for _, c in ipairs(clients()) do
    vim.lsp.stop_client(c.id)
  end
  clients_by_root = {}
  vim.defer_fn(function()
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr)
          and vim.tbl_contains(M.options.filetypes, vim.bo[bufnr].filetype) then
        if vim.lsp.config and vim.lsp.enable then
          vim.api.nvim_exec_autocmds("FileType", { group = "nvim.lsp.enable", buffer = bufnr })
        else
          start(bufnr)
        end
      end
    end
  end, 500)
end

--- `eggls --explain CODE` in a scratch buffer (CODE defaults to the diagnostic under the cursor).
function M.explain(code)
  if not code or code == "" then
    local lnum = vim.api.nvim_win_get_cursor(0)[1] - 1
    for _, d in ipairs(vim.diagnostic.get(0, { lnum = lnum })) do
      local c = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
      if c and tostring(c):match("^EGG%d%d%d$") then
        code = tostring(c)
        break
      end
    end
  end
  if not code or code == "" then
    vim.notify("eggls: no rule code given and no eggls diagnostic on this line", vim.log.levels.WARN)
    return
  end
  local argv = vim.tbl_filter(function(a)
    return a ~= "--stdio"
  end, M.options.cmd)
  vim.list_extend(argv, { "--explain", code })
  local out = vim.fn.systemlist(argv)
  if vim.v.shell_error ~= 0 then
    vim.notify(
      ("eggls --explain %s failed: %s\nSee https://github.com/eggls/eggls/blob/main/docs/rules.md#%s"):format(
        code, table.concat(out, " "), code:lower()),
      vim.log.levels.WARN)
    return
  end
  vim.cmd("botright new")
  local buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, out)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = "markdown"
  pcall(vim.api.nvim_buf_set_name, buf, "eggls://" .. code)
end

function M.register_commands()
  vim.api.nvim_create_user_command("EgglsExplain", function(a)
    M.explain(a.args)
  end, { nargs = "?", desc = "eggls: explain a rule (default: the diagnostic on this line)" })
  vim.api.nvim_create_user_command("EgglsRestart", function()
    M.restart()
  end, { nargs = 0, desc = "eggls: restart the language server" })
end

return M
