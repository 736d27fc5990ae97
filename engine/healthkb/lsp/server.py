"""`healthkb lsp`: a language server for a KB's YAML files, over standard input and output.

Built on pygls (the Language Server Protocol for Python): it carries over the protocol
what `editing/` computes. While a file is edited, the KB it belongs to is checked as
`healthkb validate` checks it, with the open files' unsaved texts in place of theirs on
disk, a moment after the last keystroke (`delay`); each located problem becomes a
diagnostic with its code and hint, and a "did you mean" hint a quick fix. Go to
definition and find references work on rule, conclusion, fact, attribute and source
ids; hover shows a rule's quoted passages with their paragraph and sentence, a
conclusion's statement and certainty, an attribute's type and range; completion offers
ids, fact paths, operators and allowed values.

A half-typed file never stops it: a file that does not parse has no symbols, and its
syntax problem is a diagnostic like any other.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..content.loading.kb_content import KBContent
from ..editing.assistance.assist import Completion, completions, did_you_mean, hover
from ..editing.assistance.live_check import check_as_edited, kb_root_of, kb_texts
from ..editing.assistance.symbols import Occurrence, SymbolIndex
from ..editing.kb_validation import KBCheck
from ..errors import Problem

DEFAULT_DELAY = 0.3
"""Seconds after the last change before the KB is checked again."""

_TOKEN = re.compile(r"[\w.\-]+")
_COMPLETION_KINDS = {
    "rule": lsp.CompletionItemKind.Function,
    "conclusion": lsp.CompletionItemKind.Constant,
    "fact": lsp.CompletionItemKind.Class,
    "attribute": lsp.CompletionItemKind.Field,
    "source": lsp.CompletionItemKind.Reference,
    "operator": lsp.CompletionItemKind.Operator,
    "value": lsp.CompletionItemKind.EnumMember,
}


class KBLanguageServer(LanguageServer):
    """The server's state: per KB root, the pending check and the last one's results."""

    def __init__(self, delay: float) -> None:
        super().__init__("healthkb", __version__)
        self.delay = delay
        self.pending: dict[Path, asyncio.TimerHandle] = {}
        self.latest: dict[Path, KBCheck] = {}
        self.contents: dict[Path, KBContent] = {}
        self.published: dict[Path, set[str]] = {}

    def document_place(self, uri: str) -> tuple[Path, str] | None:
        """The KB root a document belongs to, and its name relative to that root."""
        path = to_fs_path(uri)
        if path is None:
            return None
        file = Path(path).resolve()
        root = kb_root_of(file)
        if root is None:
            return None
        return root, file.relative_to(root).as_posix()

    def open_texts(self, root: Path) -> dict[str, str]:
        texts = {}
        for uri, document in list(self.workspace.text_documents.items()):
            place = self.document_place(uri)
            if place is not None and place[0] == root:
                texts[place[1]] = document.source
        return texts

    def _open_uris(self, root: Path) -> set[str]:
        return {
            uri
            for uri in list(self.workspace.text_documents)
            if (place := self.document_place(uri)) is not None and place[0] == root
        }

    def index(self, root: Path) -> SymbolIndex:
        return SymbolIndex.build(kb_texts(root, self.open_texts(root)))

    def schedule_check(self, uri: str) -> None:
        place = self.document_place(uri)
        if place is None:
            return
        root = place[0]
        if root in self.pending:
            self.pending[root].cancel()
        loop = asyncio.get_running_loop()
        self.pending[root] = loop.call_later(
            self.delay, lambda: asyncio.ensure_future(self.check_and_publish(root))
        )

    async def content(self, root: Path) -> KBContent | None:
        """The KB's content as last read whole: while a file is half-typed the KB cannot
        be read, and hovers and completions go on with what was read before (or with
        the files on disk)."""
        if root not in self.latest:
            await self.check_and_publish(root)
        if root not in self.contents:
            loop = asyncio.get_running_loop()
            on_disk = await loop.run_in_executor(None, check_as_edited, root, {})
            if on_disk.content is not None:
                self.contents[root] = on_disk.content
        return self.contents.get(root)

    async def check_and_publish(self, root: Path) -> None:
        self.pending.pop(root, None)
        texts = self.open_texts(root)
        loop = asyncio.get_running_loop()
        try:
            check = await loop.run_in_executor(None, check_as_edited, root, texts)
        except Exception as error:
            self.window_log_message(
                lsp.LogMessageParams(lsp.MessageType.Error, f"healthkb: check failed: {error}")
            )
            return
        self.latest[root] = check
        if check.content is not None:
            self.contents[root] = check.content
        self.publish(root, check)

    def publish(self, root: Path, check: KBCheck) -> None:
        by_uri: dict[str, list[lsp.Diagnostic]] = {}
        documents = self.workspace.text_documents
        for problem, severity in _located(check):
            uri = from_fs_path(str(root / problem.file)) or ""
            lines = documents[uri].lines if uri in documents else _lines_of(root / problem.file)
            by_uri.setdefault(uri, []).append(diagnostic(problem, severity, lines))
        # Open files without problems (and those that had some) are cleared.
        for uri in (self.published.get(root, set()) | self._open_uris(root)) - set(by_uri):
            by_uri[uri] = []
        self.published[root] = {uri for uri, found in by_uri.items() if found}
        for uri, diagnostics in sorted(by_uri.items()):
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
            )


def _located(check: KBCheck) -> list[tuple[Problem, lsp.DiagnosticSeverity]]:
    errors = [(problem, lsp.DiagnosticSeverity.Error) for problem in check.problems]
    warnings = [(f.as_problem(), lsp.DiagnosticSeverity.Warning) for f in check.warnings]
    return [(p, s) for p, s in [*errors, *warnings] if p.file]


def _lines_of(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError):
        return []


def diagnostic(
    problem: Problem, severity: lsp.DiagnosticSeverity, lines: list[str]
) -> lsp.Diagnostic:
    """A problem as a diagnostic over the word it points at."""
    line, column = max(problem.line - 1, 0), max(problem.column - 1, 0)
    text = lines[line] if line < len(lines) else ""
    token = _TOKEN.match(text, column)
    end = token.end() if token is not None else column + 1
    message = f"{problem.message} ({problem.hint})" if problem.hint else problem.message
    return lsp.Diagnostic(
        range=lsp.Range(lsp.Position(line, column), lsp.Position(line, end)),
        message=message,
        severity=severity,
        code=problem.code,
        source="healthkb",
        data={"message": problem.message, "hint": problem.hint},
    )


def create_server(delay: float = DEFAULT_DELAY) -> KBLanguageServer:
    """A language server with every feature registered (not yet started)."""
    server = KBLanguageServer(delay)
    _register_document_sync(server)
    _register_navigation(server)
    _register_assistance(server)
    return server


def _register_document_sync(server: KBLanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KBLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule_check(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KBLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule_check(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KBLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule_check(params.text_document.uri)


def _occurrence_at(
    ls: KBLanguageServer, uri: str, position: lsp.Position
) -> tuple[Path, SymbolIndex, Occurrence] | None:
    place = ls.document_place(uri)
    if place is None:
        return None
    index = ls.index(place[0])
    found = index.at(place[1], position.line, position.character)
    return None if found is None else (place[0], index, found)


def _location(root: Path, occurrence: Occurrence) -> lsp.Location:
    start, end = occurrence.range.start, occurrence.range.end
    return lsp.Location(
        uri=from_fs_path(str(root / occurrence.file)) or "",
        range=lsp.Range(lsp.Position(*start), lsp.Position(*end)),
    )


def _register_navigation(server: KBLanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: KBLanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
        found = _occurrence_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        root, index, occurrence = found
        places = index.definitions(occurrence.kind, occurrence.name)
        return [_location(root, place) for place in places] or None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: KBLanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        found = _occurrence_at(ls, params.text_document.uri, params.position)
        if found is None:
            return []
        root, index, occurrence = found
        include = params.context.include_declaration
        places = index.references(occurrence.kind, occurrence.name, include)
        return [_location(root, place) for place in places]


def _register_assistance(server: KBLanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover_info(ls: KBLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        found = _occurrence_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        root, _, occurrence = found
        text = hover(occurrence, await ls.content(root))
        if text is None:
            return None
        start, end = occurrence.range.start, occurrence.range.end
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
            range=lsp.Range(lsp.Position(*start), lsp.Position(*end)),
        )

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=[" ", ".", "[", ","]),
    )
    async def complete(ls: KBLanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri, position = params.text_document.uri, params.position
        place = ls.document_place(uri)
        if place is None:
            return lsp.CompletionList(is_incomplete=False, items=[])
        lines = ls.workspace.get_text_document(uri).lines
        line = lines[position.line] if position.line < len(lines) else ""
        before = line[: position.character]
        previous = [text.rstrip("\r\n") for text in lines[: position.line]]
        content = await ls.content(place[0])
        found = completions(before, previous, ls.index(place[0]), content)
        return lsp.CompletionList(is_incomplete=False, items=[_item(c) for c in found])

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    def code_actions(ls: KBLanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        lines = ls.workspace.get_text_document(uri).lines
        return [
            action
            for diagnostic in params.context.diagnostics
            if (action := _quick_fix(uri, lines, diagnostic)) is not None
        ]


def _item(completion: Completion) -> lsp.CompletionItem:
    return lsp.CompletionItem(
        label=completion.label,
        kind=_COMPLETION_KINDS.get(completion.kind, lsp.CompletionItemKind.Text),
        detail=completion.detail or completion.kind,
    )


def _quick_fix(uri: str, lines: Sequence[str], diagnostic: lsp.Diagnostic) -> lsp.CodeAction | None:
    # The diagnostic's message holds the problem's hint (`... (did you mean `x`?)`);
    # clients need not send back its `data`.
    line_number = diagnostic.range.start.line
    line = lines[line_number] if line_number < len(lines) else ""
    message = diagnostic.message
    fix = did_you_mean(message, message, line, diagnostic.range.start.character)
    if fix is None:
        return None
    edit = lsp.TextEdit(
        range=lsp.Range(lsp.Position(line_number, fix.start), lsp.Position(line_number, fix.end)),
        new_text=fix.text,
    )
    return lsp.CodeAction(
        title=fix.title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=True,
        edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
    )


def serve(delay: float = DEFAULT_DELAY) -> None:
    """Run the language server on standard input and output until the client ends it."""
    create_server(delay).start_io()
