"""The playground's screenshots for docs/service.md, taken in a real browser.

A real `healthkb serve` (the bundled KB) on a free loopback port, Debian's chromium driven
by Playwright: the answers of a runner typed in, a proof chosen with its passages
highlighted, what would stop it; then a problem document beside the question it names.
To make them again after changing the page:

    python tests/support/playground_screenshots.py            # into docs/images/
    python tests/support/playground_screenshots.py FOLDER     # elsewhere

tests/service/test_playground.py runs it into a temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # run as a script: `support` is a folder of tests/
    sys.path.insert(0, str(TESTS))

from support.playground_page import RUNNER, Playground, chromium  # noqa: E402
from support.service_process import running  # noqa: E402

IMAGES = TESTS.parent / "docs" / "images"
NAMES = ("playground.png", "playground-problem.png")


def take(folder: Path) -> list[Path]:
    """Write the screenshots into `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in NAMES]
    with running() as server, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        playground = Playground(context.new_page()).open(server.url + "/")
        page = playground.page
        playground.wait_for_form()
        playground.fill(RUNNER)
        playground.answered()
        page.click('[data-conclusion="thigh_buttock_fat_may_decrease"] button')
        page.wait_for_selector("#article mark")
        page.click("#what-if")
        page.wait_for_selector("#what-if-answer .proposal")
        page.locator("#detail .passage-link").first.focus()
        page.screenshot(path=str(paths[0]), full_page=True)
        playground.answer("running.sessions_per_week", "40")
        playground.refused()
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(paths[1]), clip={"x": 0, "y": 0, "width": 1280, "height": 560})
        context.close()
    return paths


if __name__ == "__main__":
    for written in take(Path(sys.argv[1]) if len(sys.argv) > 1 else IMAGES):
        print(written)
