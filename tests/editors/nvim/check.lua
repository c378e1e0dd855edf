-- Run with `-c "luafile check.lua"` after the fixture's .s file was opened: waits for the eggls
-- client, collects diagnostics, a hover and a definition, and writes them as JSON to
-- params.out. The assertions are in test_nvim.py.
local params = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv("EGGLS_NVIM_TEST_PARAMS")), "\n"))
local timeout = params.timeout_ms
local result = { nvim = tostring(vim.version().major) .. "." .. tostring(vim.version().minor) }

local function eggls_clients(bufnr)
  local out = {}
  local all = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr })
    or vim.lsp.buf_get_clients(bufnr)
  for _, c in pairs(all) do
    if c.name == "eggls" then
      table.insert(out, c)
    end
  end
  return out
end

local function code_of(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function markup_text(contents)
  if type(contents) == "string" then
    return contents
  elseif type(contents) ~= "table" then
    return ""
  elseif contents.value then
    return contents.value
  end
  local parts = {}
  for _, c in ipairs(contents) do
    table.insert(parts, markup_text(c))
  end
  return table.concat(parts, "\n")
end

local function position(client, pos)
  local enc = client.offset_encoding or "utf-16"
  return { line = pos.line, character = pos.character[enc] }
end

local function request(bufnr, client, method, pos)
  local p = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = position(client, pos) }
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, p, timeout)
  if not responses then
    return nil, tostring(err)
  end
  local r = responses[client.id]
  if not r then
    return nil, "no response from eggls"
  end
  if r.err or r.error then
    return nil, vim.inspect(r.err or r.error)
  end
  return r.result
end

local ok, err = pcall(function()
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype
  result.attached = vim.wait(timeout, function()
    return #eggls_clients(bufnr) > 0
  end, 50)
  local client = eggls_clients(bufnr)[1]
  if not client then
    error("no eggls client attached to " .. vim.api.nvim_buf_get_name(bufnr))
  end
  result.registered_via = (vim.lsp.is_enabled and vim.lsp.is_enabled("eggls")) and "enable" or "start"
  result.root_dir = client.config.root_dir
  result.offset_encoding = client.offset_encoding
  result.language_id = client.config.get_language_id and client.config.get_language_id(bufnr, result.filetype)
  result.init_options = client.config.init_options
  result.root_of_subpackage = require("eggls").root_dir(params.subpackage_file)

  vim.wait(timeout, function()
    return #vim.diagnostic.get(bufnr) >= params.expected_count
  end, 50)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, {
      line = d.lnum + 1, code = code_of(d) and tostring(code_of(d)) or vim.NIL,
      source = d.source or vim.NIL, message = d.message,
    })
  end

  local hover, herr = request(bufnr, client, "textDocument/hover", params.hover)
  result.hover = hover and markup_text(hover.contents) or vim.NIL
  result.hover_error = herr or vim.NIL

  local def, derr = request(bufnr, client, "textDocument/definition", params.definition)
  result.definition_error = derr or vim.NIL
  result.definition = {}
  if def then
    if def.uri or def.targetUri then
      def = { def }
    end
    for _, loc in ipairs(def) do
      local range = loc.targetSelectionRange or loc.range or loc.targetRange
      table.insert(result.definition, {
        path = vim.uri_to_fname(loc.uri or loc.targetUri), line = range.start.line + 1,
      })
    end
  end

  -- The package's .go file joins the same client (one per go.mod root).
  vim.cmd("edit " .. vim.fn.fnameescape(params.go_file))
  local gobuf = vim.api.nvim_get_current_buf()
  result.go_filetype = vim.bo[gobuf].filetype
  vim.wait(timeout, function()
    return #eggls_clients(gobuf) > 0
  end, 50)
  local goclient = eggls_clients(gobuf)[1]
  result.go_same_client = goclient ~= nil and goclient.id == client.id

  -- A .s file without .go files beside it is not Go assembly: no eggls.
  vim.cmd("edit " .. vim.fn.fnameescape(params.gas_file))
  local gasbuf = vim.api.nvim_get_current_buf()
  result.gas_filetype = vim.bo[gasbuf].filetype
  result.gas_clients = #eggls_clients(gasbuf)

  -- :EgglsExplain shows `eggls --explain` in a scratch buffer.
  vim.cmd("EgglsExplain EGG001")
  result.explain = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1] or vim.NIL

  -- :EgglsRestart: a new client for the Go assembly buffer.
  vim.cmd("edit " .. vim.fn.fnameescape(params.asm_file))
  local asmbuf = vim.api.nvim_get_current_buf()
  local old_id = client.id
  vim.cmd("EgglsRestart")
  result.restarted = vim.wait(timeout, function()
    local c = eggls_clients(asmbuf)[1]
    return c ~= nil and c.id ~= old_id
  end, 50)
end)
result.error = ok and vim.NIL or tostring(err)
vim.fn.writefile({ vim.fn.json_encode(result) }, params.out)
vim.cmd("qa!")
