-- A user's init.lua for the headless Neovim test (tests/editors/test_nvim.py): the plugin from
-- editors/nvim on the runtime path, set up with the test's server command and settings.
local params = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv("EGGLS_NVIM_TEST_PARAMS")), "\n"))
vim.opt.runtimepath:prepend(params.plugin_dir)
vim.opt.swapfile = false
if vim.lsp.set_log_level then
  vim.lsp.set_log_level("info")
end
require("eggls").setup({ cmd = params.cmd, settings = params.settings })
