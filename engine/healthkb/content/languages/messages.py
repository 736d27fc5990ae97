"""The wording of answers, explanations, why-nots, cards and pages in each language.

A small catalogue per language, keyed by the English template itself (as gettext keys
its messages by their source text): `say(language, "rule {id} v{version}: {title}",
...)` gives the English template filled in when `language` is None or has no
catalogue, so English output is exactly what it was. The KB's own wording (statements,
titles, labels) comes translated from its translation files; this is only the
software's. A test checks that every template the package says has a translation in
every catalogue.
"""

from __future__ import annotations

from typing import Any

ZH_HANS: dict[str, str] = {
    # Results (text and Markdown).
    "No conclusions: the sources say nothing about this profile.": (
        "没有结论：资料来源没有谈到这种情况。"
    ),
    "CONFLICT: {message}": "冲突：{message}",
    "[{kind}, {certainty}] {id}": "[{kind}，{certainty}] {id}",
    "rule {id} v{version}: {title}": "规则 {id} v{version}：{title}",
    "source {source} {sentence}: “{quote}”": "来源 {source} {sentence}：“{quote}”",
    "interpretation: {text}": "解读：{text}",
    "also reached by rule {id} v{version}: {title} (resting on {sources})": (
        "也由规则 {id} v{version} 得出：{title}（依据 {sources}）"
    ),
    "knowledge base {stamp}": "知识库 {stamp}",
    "Conclusions": "结论",
    "Sources": "资料来源",
    # Results as Markdown.
    "*{kind}, certainty {certainty}*": "*{kind}，确定程度：{certainty}*",
    "Rule `{id}` v{version}: {title}": "规则 `{id}` v{version}：{title}",
    "Knowledge base `{id}` {version}, digest `{digest}`": (
        "知识库 `{id}` {version}，摘要 `{digest}`"
    ),
    # Explanations and why-nots.
    "conclusion {id} ({kind}, certainty {certainty})": "结论 {id}（{kind}，确定程度：{certainty}）",
    "source of the statement": "这一说法的出处",
    "source {source} {sentence} [{start}:{end}]: “{quote}”": (
        "来源 {source} {sentence} [{start}:{end}]：“{quote}”"
    ),
    "rule {id} v{version}: {title}  ({file})": "规则 {id} v{version}：{title}  （{file}）",
    "because": "依据",
    "condition {test}: holds, seen {seen} ({origin})": (
        "条件 {test}：成立，实际为 {seen}（{origin}）"
    ),
    "departs from the source, which says “{words}”": "与原文不同，原文说的是“{words}”",
    "derived fact {fact} {values}": "推导出的事实 {fact} {values}",
    "background fact {fact} {values}": "背景事实 {fact} {values}",
    "also reached by": "也由以下规则得出",
    "reached by rule {rule}, which rests on {sources}": "由规则 {rule} 得出，依据 {sources}",
    "evidence {level} ({scale})": "证据 {level}（{scale}）",
    "STALE: it rests on a source past its review date": "已过期：它依据的资料来源已超过复审日期",
    "sources": "资料来源",
    "disclaimer: {text}": "免责声明：{text}",
    "knowledge base {id} {version} {digest}": "知识库 {id} {version} {digest}",
    "(all conditions hold)": "（所有条件都成立）",
    "condition not ({test}) failed: it holds, seen {seen}": (
        "条件 not ({test}) 未满足：它成立，实际为 {seen}"
    ),
    "condition {test} failed: {reason}, seen {seen}": "条件 {test} 未满足：{reason}，实际为 {seen}",
    "rule {id} v{version} ({status}): {title}  ({file})": (
        "规则 {id} v{version}（{status}）：{title}  （{file}）"
    ),
    "fired": "已触发",
    "the passage it rests on": "它依据的段落",
    "conclusion {id} was reached; use explain to see why": "已得出结论 {id}；用 explain 查看原因",
    "no rule concludes {id}": "没有规则得出 {id}",
    "why not {id}?": "为什么没有得出 {id}？",
    # A source's original text beside its translation.
    "quoted from the original ({language})": "引自原文（{language}）",
    "original ({language}) {sentence}: “{text}”": "原文（{language}）{sentence}：“{text}”",
    "original text ({language})": "原文（{language}）",
    "The original text ({language}) is not available here: the passages above are the "
    "translation's.": "此处没有原文（{language}）：以上段落均为译文。",
    # Explanation and why-not pages.
    "Why <code>{id}</code>?": "为什么是 <code>{id}</code>？",
    "Why {id}?": "为什么是 {id}？",
    "certainty {certainty}": "确定程度：{certainty}",
    "Proof": "推理过程",
    "interpretation:": "解读：",
    "Why not <code>{id}</code>?": "为什么没有得出 <code>{id}</code>？",
    "Why not {id}?": "为什么没有得出 {id}？",
    "Rules that could conclude it": "能得出它的规则",
    "This conclusion was reached; ask for its explanation instead.": (
        "已得出这一结论；请查看它的解释。"
    ),
    "No rule concludes it.": "没有规则得出它。",
    "Profile evaluated": "评估的个人情况",
    "the validated input": "经过校验的输入",
    # What is known of a source.
    "{id}: “{title}”, {publisher}, {author}, {published}; licence {licence}; language {language}": (
        "{id}：“{title}”，{publisher}，{author}，{published}；许可 {licence}；语言 {language}"
    ),
    ", translated from {language} (original title {title}, translator {translator}, "
    "translated {date})": (
        "，译自 {language}（原标题 {title}，译者 {translator}，翻译日期 {date}）"
    ),
    "; evidence {level} ({scale}); reviewed {reviewed}, review by {review_by}": (
        "；证据 {level}（{scale}）；复审于 {reviewed}，须在 {review_by} 前再次复审"
    ),
    " — OVERDUE FOR REVIEW": " —— 已超过复审日期",
    "unknown": "未知",
    # Why a condition failed, where a fact came from, a rule's status.
    "no rule derived a matching fact": "没有规则推导出相符的事实",
    "missing": "未提供",
    "value does not match": "取值不符",
    "these conditions fail (all of them must hold)": "这些条件未满足（必须全部成立）",
    "none of the alternatives holds": "几种情况都不成立",
    "the negated condition holds": "被否定的条件成立",
    "it fails as shown above": "未满足，原因见上文",
    "the rule is draft, so it does not run": "该规则是草稿，不会运行",
    "the rule is retired, so it does not run": "该规则已停用，不会运行",
    "not followed further: the chain of rules leading here is more than {depth} rules deep "
    "(ask why this rule did not fire by itself)": (
        "未再往下追溯：通向这里的规则链超过 {depth} 层（请单独询问这条规则为什么没有触发）"
    ),
    "input": "输入",
    "derived": "推导",
    "background": "背景",
    "absent": "没有",
    "active": "生效",
    "draft": "草稿",
    "retired": "已停用",
    # A condition's operators and groups on pages (render/html.py OPERATOR_WORDS).
    "is": "为",
    "is not": "不为",
    "is between": "介于",
    "{low} and {high}": "{low} 与 {high} 之间",
    "is one of": "为以下之一",
    "is none of": "不为以下任何一项",
    "contains": "包含",
    "contains any of": "包含以下任意一项",
    "all of": "以下全部成立",
    "any of": "以下任一成立",
    "not": "并非",
    "when": "当",
    # The pages' footers and the report's titles (render/html.py, render/html_site.py).
    "knowledge base <code>{id}</code> version <code>{version}</code>, "
    "digest <code>{digest}</code>": (
        "知识库 <code>{id}</code>，版本 <code>{version}</code>，摘要 <code>{digest}</code>"
    ),
    "Report of {stamp}.": "{stamp} 的报告。",
    "{title} — report": "{title} — 报告",
    "Rule {id} — report": "规则 {id} — 报告",
    # The report's analysis page and index sections (render/html_findings.py, html_network.py).
    "{title} — analysis": "{title} — 分析",
    "Rule <code>{id}</code>": "规则 <code>{id}</code>",
    "concludes {conclusion}": "得出 {conclusion}",
    "derives {fact} {values}": "推导出 {fact} {values}",
    "pass": "通过",
    "← index": "← 目录",
    "{passed} of {cases} pass": "{cases} 个中 {passed} 个通过",
    "{errors} error(s), {warnings} warning(s)": "{errors} 个错误，{warnings} 个警告",
    "FAIL": "未通过",
    "Analysis": "分析",
    "No findings: no profile reaches two excluded conclusions or two values of a "
    "single-valued attribute, every active rule can fire, no rule is redundant, and "
    "every profile without an outcome is covered by a declared silence.": (
        "没有发现问题：没有任何个人情况会同时得出两个互斥的结论，或同一单值属性的两个取值；"
        "每条生效的规则都能触发，没有多余的规则；每个得不出结论的个人情况都由声明的"
        "“有意不作结论”覆盖。"
    ),
    "{errors} error(s), {warnings} warning(s).": "{errors} 个错误，{warnings} 个警告。",
    "Proved for every profile the fact vocabulary allows (<code>healthkb analyze</code>). "
    "Each witness is a profile that shows its finding when evaluated.": (
        "对事实词汇允许的每一种个人情况都已证明（<code>healthkb analyze</code>）。"
        "每个例证都是一份个人情况，评估它就能看到相应的发现。"
    ),
    "Intended silences": "有意不作结论之处",
    "None declared (<code>kb/silences.yaml</code>).": "未声明（<code>kb/silences.yaml</code>）。",
    "About {conclusions}.": "关于 {conclusions}。",
    "Inference network": "推理网络",
    "From the facts a profile gives (left), through the rules (boxes, with their "
    "version) and the facts they derive, to the conclusions (right). Dashed: draft "
    "or retired rules, which do not run.": (
        "从个人情况给出的事实（左），经过规则（方框，标有版本）及其推导出的事实，"
        "到结论（右）。虚线：草稿或已停用的规则，它们不会运行。"
    ),
    "(derived by {rules})": "（由 {rules} 推导）",
    # The reasons a clinician may give for overriding a CDS card (results/cds_cards.py).
    "Does not apply to this patient": "不适用于这位患者",
    "The patient's data is out of date": "患者的资料已过时",
    "The patient declined": "患者拒绝",
    "Clinical judgement differs": "临床判断不同",
    # The report site's headings and table heads (render/report.py).
    "Rules": "规则",
    "Background facts": "背景事实",
    "Test cases": "测试用例",
    "Conditions": "条件",
    "Citations": "引文",
    "Test cases covering this rule": "覆盖这条规则的测试用例",
    "knowledge base": "知识库",
    "version": "版本",
    "digest": "摘要",
    "test cases": "测试用例",
    "analysis": "分析",
    "source": "来源",
    "publisher": "出版方",
    "author": "作者",
    "published": "发表日期",
    "sentences": "句子",
    "encoded": "已编码",
    "left out": "未采用",
    "partly encoded": "部分编码",
    "untouched": "未涉及",
    "accounted for": "已处理",
    "rule": "规则",
    "status": "状态",
    "title": "标题",
    "case": "用例",
    "file": "文件",
    "result": "结果",
    "rules fired": "触发的规则",
    "address": "网址",
    "text sha256": "文本 sha256",
    # Kinds and certainties, as readers see them.
    "outcome": "结果",
    "recommendation": "建议",
    "warning": "警告",
    "information": "信息",
    "possible": "可能",
    "likely": "很可能",
    "established": "确定",
    # CDS Hooks cards.
    "**{kind}**, certainty *{certainty}*. Reached by rule `{id}` v{version} ({title})": (
        "**{kind}**，确定程度 *{certainty}*。由规则 `{id}` v{version}（{title}）得出"
    ),
    "; also by rule `{id}` v{version} ({title})": "；也由规则 `{id}` v{version}（{title}）得出",
    "Supporting passages:": "依据的段落：",
    "*Source* {line}": "*资料来源* {line}",
    "Knowledge base `{id}` {version}, digest `{digest}`.": (
        "知识库 `{id}` {version}，摘要 `{digest}`。"
    ),
    " Audit record `{id}`.": " 审计记录 `{id}`。",
    "Evidence: *{level}* ({scale}).": "证据：*{level}*（{scale}）。",
    "**Stale:** it rests on a source past its review date.": (
        "**已过期：** 它依据的资料来源已超过复审日期。"
    ),
    "*Editor's interpretation:* {text}": "*编者的解读：* {text}",
    "— *{title}*, {publisher}: `{source}` {sentence}, characters {start}–{end}": (
        "—— *{title}*，{publisher}：`{source}` {sentence}，第 {start}–{end} 个字符"
    ),
}
"""Simplified Chinese: the software's wording, in the plain words a health reader uses."""

CATALOGUES: dict[str, dict[str, str]] = {"zh-Hans": ZH_HANS}

AUTONYMS: dict[str, str] = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}
"""Languages by their own names, for a page's language switch."""


def autonym(tag: str) -> str:
    """A language's name for itself (its tag when not known)."""
    return AUTONYMS.get(tag, tag)


"""Each language's catalogue, by the tag a KB declares."""


def say(language: str | None, english: str, /, **values: Any) -> str:
    """`english` (a `str.format` template) in `language`, filled in with `values`.

    >>> say(None, "rule {id} v{version}: {title}", id="r", version=1, title="T")
    'rule r v1: T'
    >>> say("zh-Hans", "why not {id}?", id="stop_and_rest")
    '为什么没有得出 stop_and_rest？'
    """
    template = CATALOGUES.get(language, {}).get(english, english) if language else english
    return template.format(**values) if values else template


def word(language: str | None, english: str) -> str:
    """One word of the software's vocabulary (a kind, a certainty) in `language`."""
    return CATALOGUES.get(language, {}).get(english, english) if language else english
