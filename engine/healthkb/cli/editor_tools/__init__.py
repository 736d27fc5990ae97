"""The editors' tools on the command line: `healthkb fmt` and `healthkb lsp`."""
