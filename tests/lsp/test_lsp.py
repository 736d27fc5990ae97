"""`healthkb lsp`: a real JSON-RPC client (pygls's) talking to the server over stdio, on a
copy of the bundled KB: diagnostics, quick fixes, definitions, references, hovers,
completions, and half-typed files that never stop it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from conftest import ROOT

TIMEOUT = 60.0
HEALTHKB = shutil.which("healthkb", path=str(Path(sys.executable).parent)) or "healthkb"


class Session:
    """A started server, its client, and the diagnostics it published."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.diagnostics: dict[str, list[list[lsp.Diagnostic]]] = {}
        self.published = asyncio.Event()
        self.versions: dict[str, int] = {}

    def uri(self, name: str) -> str:
        return (self.root / name).resolve().as_uri()

    def open(self, name: str, text: str | None = None) -> str:
        uri = self.uri(name)
        if text is None:
            text = (self.root / name).read_text(encoding="utf-8")
        self.versions[uri] = 1
        item = lsp.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        document = lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri])
        whole = lsp.TextDocumentContentChangeWholeDocument(text=text)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(text_document=document, content_changes=[whole])
        )

    async def diagnostics_of(self, uri: str, count: int = 1) -> list[lsp.Diagnostic]:
        """The `count`-th diagnostics published for `uri` (waiting for them)."""
        async with asyncio.timeout(TIMEOUT):
            while len(self.diagnostics.get(uri, [])) < count:
                self.published.clear()
                await self.published.wait()
        return self.diagnostics[uri][count - 1]

    async def request(self, method: str, uri: str, line: int, character: int) -> Any:
        document = lsp.TextDocumentIdentifier(uri=uri)
        position = lsp.Position(line=line, character=character)
        client = self.client
        async with asyncio.timeout(TIMEOUT):
            if method == "definition":
                return await client.text_document_definition_async(
                    lsp.DefinitionParams(text_document=document, position=position)
                )
            if method == "references":
                context = lsp.ReferenceContext(include_declaration=True)
                return await client.text_document_references_async(
                    lsp.ReferenceParams(text_document=document, position=position, context=context)
                )
            if method == "hover":
                return await client.text_document_hover_async(
                    lsp.HoverParams(text_document=document, position=position)
                )
            return await client.text_document_completion_async(
                lsp.CompletionParams(text_document=document, position=position)
            )


async def _drain(stream: asyncio.StreamReader | None, into: list[bytes]) -> None:
    while stream is not None and (chunk := await stream.read(65536)):
        into.append(chunk)


def run_session(root: Path, scenario: Callable[[Session], Awaitable[None]]) -> None:
    async def main() -> None:
        client = LanguageClient("healthkb-tests", "1")
        session = Session(client, root)

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            session.diagnostics.setdefault(params.uri, []).append(params.diagnostics)
            session.published.set()

        # The command docs/editors.md configures editors with (`healthkb lsp`).
        await client.start_io(HEALTHKB, "lsp", "--delay", "0.2")
        # pygls pipes the server's stderr and never reads it: read it here, so that a
        # chatty server cannot fill the pipe and stall while the client waits for it.
        stderr: list[bytes] = []
        draining = asyncio.create_task(_drain(client._server.stderr, stderr))
        try:
            async with asyncio.timeout(TIMEOUT):
                await client.initialize_async(
                    lsp.InitializeParams(
                        capabilities=lsp.ClientCapabilities(), root_uri=root.as_uri()
                    )
                )
            client.initialized(lsp.InitializedParams())
            await scenario(session)
            async with asyncio.timeout(TIMEOUT):
                await client.shutdown_async(None)
            client.exit(None)
        finally:
            # pygls's client waits for the server to exit: end a server the scenario
            # left running (a failed assertion), so that the failure is reported.
            server = client._server
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(server.wait()), 10)
            if server.returncode is None:
                server.kill()
            # Bounded: a server that is gone but never reported its exit must not hold
            # the suite (pygls's stop() waits for that report without a limit).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(client.stop(), 30)
            draining.cancel()

    asyncio.run(main())


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    root = tmp_path / "kb-root"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def line_of(text: str, needle: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines()):
        if needle in line:
            return number, line.index(needle)
    raise AssertionError(f"{needle!r} not in the text")


def test_a_misspelt_conclusion_is_a_diagnostic_with_a_quick_fix(kb_copy: Path) -> None:
    name = "rules/fat_outcomes.yaml"
    right = (kb_copy / name).read_text(encoding="utf-8")
    wrong = right.replace(
        "conclude: thigh_buttock_fat_may_decrease}", "conclude: thigh_buttock_fat_may_decrese}"
    )

    async def scenario(session: Session) -> None:
        uri = session.open(name, wrong)
        diagnostics = await session.diagnostics_of(uri)
        (problem,) = [d for d in diagnostics if d.code == "unknown-conclusion"]
        # Where validate places it: at the key whose value is wrong.
        line, column = line_of(wrong, "conclude: thigh_buttock_fat_may_decrese")
        assert problem.range.start == lsp.Position(line=line, character=column)
        assert problem.severity == lsp.DiagnosticSeverity.Error
        assert "did you mean `thigh_buttock_fat_may_decrease`?" in problem.message
        async with asyncio.timeout(TIMEOUT):
            actions = await session.client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    range=problem.range,
                    context=lsp.CodeActionContext(diagnostics=[problem]),
                )
            )
        (action,) = actions
        assert isinstance(action, lsp.CodeAction)
        assert action.kind == lsp.CodeActionKind.QuickFix
        (edit,) = action.edit.changes[uri]
        fixed_line = wrong.splitlines()[line]
        start, end = edit.range.start.character, edit.range.end.character
        fixed_line = fixed_line[:start] + edit.new_text + fixed_line[end:]
        assert fixed_line == right.splitlines()[line]
        # The fix applied, the diagnostics of the file are cleared.
        session.change(uri, right)
        assert list(await session.diagnostics_of(uri, 2)) == []

    run_session(kb_copy, scenario)


def test_changes_typed_in_a_burst_are_checked_once(kb_copy: Path) -> None:
    name = "rules/fat_outcomes.yaml"
    text = (kb_copy / name).read_text(encoding="utf-8")

    async def scenario(session: Session) -> None:
        uri = session.open(name, text + "#")
        for typed in ("a", "ab", "abc", "abcd"):
            session.change(uri, text + "# " + typed)
        await session.diagnostics_of(uri)
        await asyncio.sleep(1.5)
        assert len(session.diagnostics[uri]) == 1

    run_session(kb_copy, scenario)


def test_go_to_definition_and_find_references_of_a_conclusion(kb_copy: Path) -> None:
    name = "rules/fat_outcomes.yaml"
    text = (kb_copy / name).read_text(encoding="utf-8")
    conclusions = (kb_copy / "kb/conclusions.yaml").read_text(encoding="utf-8")

    async def scenario(session: Session) -> None:
        uri = session.open(name)
        line, column = line_of(text, "conclude: thigh_buttock_fat_may_decrease")
        column += len("conclude: ") + 3
        (found,) = await session.request("definition", uri, line, column)
        assert found.uri == session.uri("kb/conclusions.yaml")
        defined_line, defined_column = line_of(conclusions, "id: thigh_buttock_fat_may_decrease")
        assert (found.range.start.line, found.range.start.character) == (
            defined_line,
            defined_column + 4,
        )
        places = await session.request("references", uri, line, column)
        files = {place.uri.rsplit("/kb-root/", 1)[1] for place in places}
        assert {"kb/conclusions.yaml", "rules/fat_outcomes.yaml", "kb/silences.yaml"} <= files
        assert "kb/tests/article_conditions.yaml" in files

    run_session(kb_copy, scenario)


def test_definition_of_a_fact_and_of_an_attribute_in_a_condition(kb_copy: Path) -> None:
    name = "rules/running_and_diet.yaml"
    text = (kb_copy / name).read_text(encoding="utf-8")
    facts = (kb_copy / "kb/facts.yaml").read_text(encoding="utf-8")

    async def scenario(session: Session) -> None:
        uri = session.open(name)
        line, column = line_of(text, "running.sessions_per_week")
        (fact,) = await session.request("definition", uri, line, column + 2)
        (attribute,) = await session.request("definition", uri, line, column + 12)
        assert fact.range.start.line == line_of(facts, "  running:")[0]
        assert attribute.range.start.line == line_of(facts, "sessions_per_week:")[0]

    run_session(kb_copy, scenario)


def test_hover_shows_passages_statements_and_attribute_ranges(kb_copy: Path) -> None:
    name = "rules/fat_outcomes.yaml"
    text = (kb_copy / name).read_text(encoding="utf-8")
    conditions = (kb_copy / "rules/running_and_diet.yaml").read_text(encoding="utf-8")

    async def scenario(session: Session) -> None:
        uri = session.open(name)
        line, column = line_of(text, "id: fat_may_decrease")
        rule = await session.request("hover", uri, line, column + 5)
        assert "**rule `fat_may_decrease`**" in rule.contents.value
        assert "“Over time, fat on the thighs and buttocks may gradually decrease" in (
            rule.contents.value
        )
        assert "paragraph `p7`, sentence `p7.s2`" in rule.contents.value
        line, column = line_of(text, "conclude: thigh_buttock_fat_may_decrease")
        conclusion = await session.request("hover", uri, line, column + 12)
        assert "certainty **possible**" in conclusion.contents.value
        assert "fat on your thighs and buttocks may gradually decrease" in (
            conclusion.contents.value
        )
        other = session.open("rules/running_and_diet.yaml")
        line, column = line_of(conditions, "running.sessions_per_week")
        attribute = await session.request("hover", other, line, column + 12)
        assert "integer, 0 to 14 sessions per week" in attribute.contents.value

    run_session(kb_copy, scenario)


def test_completion_offers_fact_paths_operators_values_and_ids(kb_copy: Path) -> None:
    text = (
        "rules:\n"
        "  - id: draft\n"
        "    when: {fact: running.intensity, eq: \n"
        "    then: {conclude: \n"
        "    when2: {fact: \n"
        "    when3: {fact: running.intensity, \n"
    )

    async def scenario(session: Session) -> None:
        uri = session.open("rules/draft.yaml", text)

        async def labels(line: int) -> set[str]:
            found = await session.request("completion", uri, line, len(text.splitlines()[line]))
            return {item.label for item in found.items}

        assert await labels(2) == {"low", "moderate", "high"}
        assert "thigh_buttock_fat_may_decrease" in await labels(3)
        assert {"running.intensity", "diet.low_calorie", "calorie_balance.state"} <= await labels(4)
        assert {"eq", "between", "in", "contains_any"} <= await labels(5)

    run_session(kb_copy, scenario)


def test_half_typed_files_never_stop_the_server(kb_copy: Path) -> None:
    names = ["rules/running_and_diet.yaml", "kb/facts.yaml", "kb/tests/silences.yaml"]
    generator = random.Random(25)

    async def scenario(session: Session) -> None:
        for name in names:
            text = (kb_copy / name).read_text(encoding="utf-8")
            uri = session.open(name)
            for _ in range(12):
                cut = generator.randrange(len(text))
                garbage = generator.choice(["", "{", "[", ": ", "- ", "\t", "'", "&a *a", "\x00"])
                edited = text[:cut] + garbage + text[cut + generator.randrange(40) :]
                session.change(uri, edited)
                lines = edited.splitlines() or [""]
                line = generator.randrange(len(lines))
                character = generator.randrange(len(lines[line]) + 1)
                for method in ("definition", "references", "hover", "completion"):
                    await session.request(method, uri, line, character)
            session.change(uri, text)
        # Still answering, and the last check of an untouched KB finds no problem.
        await asyncio.sleep(1.0)
        uri = session.uri(names[0])
        assert list(session.diagnostics[uri][-1]) == []

    run_session(kb_copy, scenario)


def test_the_editor_setups_in_the_guide_start_healthkb_lsp() -> None:
    guide = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    section = guide.split("## In your editor: the language server", 1)[1]
    settings = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    assert [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]] == [
        "healthkb",
        "lsp",
    ]
    assert 'cmd = { "healthkb", "lsp" }' in section.split("```lua\n", 1)[1]
