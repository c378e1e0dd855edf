"""eggls: language server and linter for Go + Go-assembly kernels."""

__version__ = "0.1.0"
