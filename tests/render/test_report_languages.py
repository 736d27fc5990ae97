"""The report site in every language of the KB: the same pages under `lang/<tag>/`, the
KB's wording and the site's headings in that language, a switch on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import healthkb
from healthkb.content.languages.messages import CATALOGUES
from healthkb.editing.report_data import gather_report
from healthkb.render.report import SITE_WORDS, build_report, write_report


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return build_report(gather_report(healthkb.load()))


def test_every_page_is_written_in_each_language(pages: dict[str, str]) -> None:
    english = sorted(name for name in pages if not name.startswith("lang/"))
    assert sorted(pages) == sorted(english + [f"lang/zh-Hans/{name}" for name in english])
    assert all('<html lang="en">' in pages[name] for name in english)
    assert all('<html lang="zh-Hans">' in pages[f"lang/zh-Hans/{name}"] for name in english)


def test_a_chinese_page_has_the_kbs_chinese_wording_and_headings(pages: dict[str, str]) -> None:
    rule = pages["lang/zh-Hans/rules/fat_may_decrease.html"]
    assert "持续的热量缺口可能会减少大腿和臀部的脂肪" in rule
    assert "<h2>条件</h2>" in rule and "<th>状态</th>" in rule
    assert (
        '<a href="../../../rules/fat_may_decrease.html" hreflang="en" lang="en">English</a>' in rule
    )
    english = pages["rules/fat_may_decrease.html"]
    assert "<h2>Conditions</h2>" in english
    assert '<a href="../lang/zh-Hans/rules/fat_may_decrease.html" hreflang="zh-Hans"' in english


def test_a_chinese_rule_page_words_its_conditions_operators_in_chinese(
    pages: dict[str, str],
) -> None:
    condition = '<code>calorie_balance.state</code> {} &quot;deficit&quot; <em>{}<a href="'
    chinese = pages["lang/zh-Hans/rules/fat_may_decrease.html"]
    assert f'<div class="conditions">当 {condition.format("为", "（由 ")}' in chinese
    assert "calorie_surplus</a> 推导）</em>" in chinese
    english = pages["rules/fat_may_decrease.html"]
    assert f'<div class="conditions">when {condition.format("is", "(derived by ")}' in english


def test_a_chinese_pages_title_and_footer_are_chinese(pages: dict[str, str]) -> None:
    chinese = pages["lang/zh-Hans/rules/stop_on_discomfort.html"]
    assert "<title>规则 stop_on_discomfort — 报告</title>" in chinese
    assert "<footer>知识库 <code>healthkb-running-fat-loss</code>，版本 <code>" in chinese
    assert "</code> 的报告。" in chinese
    english = pages["rules/stop_on_discomfort.html"]
    assert "<title>Rule stop_on_discomfort — report</title>" in english
    derives = pages["lang/zh-Hans/rules/running_for_fat_loss.html"]
    assert "<h1>规则 <code>running_for_fat_loss</code></h1>" in derives
    assert "<td>生效</td>" in derives and '<span class="pass">通过</span>' in derives
    assert (
        "<td>推导出 <code>running_for_fat_loss</code> {&quot;applies&quot;: true}</td>" in derives
    )
    assert "<h1>Rule <code>stop_on_discomfort</code></h1>" in english
    assert "<footer>Report of knowledge base <code>healthkb-running-fat-loss</code>" in english


def test_the_chinese_analysis_page_and_network_say_their_sentences_in_chinese(
    pages: dict[str, str],
) -> None:
    findings = pages["lang/zh-Hans/findings.html"]
    assert "<h1>分析</h1>" in findings and "<h2>有意不作结论之处</h2>" in findings
    assert "<p>没有发现问题：" in findings and "No findings" not in findings
    assert '<p>关于 <a href="index.html#conclusion-' in findings
    index = pages["lang/zh-Hans/index.html"]
    assert "<h2>推理网络</h2>" in index and "虚线：草稿或已停用的规则" in index
    assert "<td>推导</td>" in index
    assert "<p>No findings: no profile reaches" in pages["findings.html"]
    assert "<h2>Inference network</h2>" in pages["index.html"]
    assert re.search(r"<tr><th>测试用例</th><td>(\d+) 个中 \1 个通过</td></tr>", index)
    assert 'findings.html">0 个错误，0 个警告</a>' in index
    assert '<nav><a href="index.html">← 目录</a></nav>' in findings
    assert re.search(r"<td>(\d+) of \1 pass</td>", pages["index.html"])


def test_every_site_word_is_in_every_catalogue() -> None:
    for language, catalogue in CATALOGUES.items():
        assert [w for w in SITE_WORDS if w not in catalogue] == [], language


def test_the_site_can_put_chinese_at_the_top(tmp_path: Path) -> None:
    written = write_report(gather_report(healthkb.load()), tmp_path / "site", "zh-Hans")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in index
    assert (tmp_path / "site" / "lang" / "en" / "index.html").is_file()
    assert len(written) == 2 * len([p for p in written if "/lang/" not in p.as_posix()])
