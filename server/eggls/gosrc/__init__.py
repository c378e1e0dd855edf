"""Go source index (tree-sitter-go): per-file facts the analysis builds its program model on.

Entry points: index.index_go_file, idioms.funcpc_like / idioms.package_idioms,
constants.resolve_all / constants.evaluate, buildtags.file_build_ok.
"""

from eggls.gosrc.index import index_go_file

__all__ = ["index_go_file"]
