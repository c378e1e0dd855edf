" Go assembly (filetype goasm, set by require('eggls').setup())
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1
setlocal commentstring=//\ %s comments=s1:/*,mb:*,ex:*/,:// iskeyword+=183
setlocal noexpandtab
let b:undo_ftplugin = 'setlocal commentstring< comments< iskeyword< expandtab<'
