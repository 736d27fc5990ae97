"""Reading HTML back in tests: ids, links, marks and their text (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

VOID = {"meta", "br", "link", "img", "input", "hr", "wbr"}


@dataclass
class Mark:
    id: str | None
    css_class: str
    title: str
    text: str = ""


@dataclass
class Parsed:
    ids: list[str] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    tags: dict[str, int] = field(default_factory=dict)
    text: str = ""

    def mark(self, mark_id: str) -> Mark:
        return next(m for m in self.marks if m.id == mark_id)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parsed = Parsed()
        self.open_marks: list[Mark] = []
        self.chunks: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.parsed.tags[tag] = self.parsed.tags.get(tag, 0) + 1
        if "id" in values:
            self.parsed.ids.append(values["id"])
        # SVG links (the inference network, drawn by Graphviz) use `xlink:href`.
        for key in ("href", "xlink:href"):
            if tag == "a" and key in values:
                self.parsed.hrefs.append(values[key])
        if tag == "mark":
            mark = Mark(values.get("id"), values.get("class", ""), values.get("title", ""))
            self.parsed.marks.append(mark)
            self.open_marks.append(mark)
        self.in_style = tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self.open_marks.pop()
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style:
            return
        self.chunks.append(data)
        for mark in self.open_marks:
            mark.text += data

    def close(self) -> None:
        super().close()
        self.parsed.text = "".join(self.chunks)


def parse(html: str) -> Parsed:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.parsed


def broken_links(page: Path, parsed: Parsed) -> list[str]:
    """Every link on `page` whose file or `#id` does not exist (web addresses aside)."""
    broken = []
    cache: dict[Path, set[str]] = {page.resolve(): set(parsed.ids)}
    for link in parsed.hrefs:
        parts = urlsplit(link)
        if parts.scheme in ("http", "https"):
            continue  # a source's own address: a link out, not an asset the page needs
        if parts.scheme or parts.netloc:
            broken.append(link)
            continue
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
        if not target.is_file():
            broken.append(link)
            continue
        if target not in cache:
            cache[target] = set(parse(target.read_text(encoding="utf-8")).ids)
        if parts.fragment and unquote(parts.fragment) not in cache[target]:
            broken.append(link)
    return broken
