"""The language server (`healthkb lsp`): editors' tools over the Language Server Protocol."""
