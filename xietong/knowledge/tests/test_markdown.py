"""Markdown is rendered safely: known XSS payloads come out inert."""

from __future__ import annotations

import re

import pytest

from xietong.knowledge.markdown import plain_text, render

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="color:red">x</p>',
    "<body onload=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "[click][ref]\n\n[ref]: &#106;avascript:alert(1)",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    '[x](https://example.com" onmouseover="alert(1))',
]

DANGEROUS = re.compile(
    r"<\s*(script|iframe|svg|object|embed|style|math|body|div)\b|\son\w+\s*=|javascript:|vbscript:|data:|\sstyle\s*=|srcdoc",
    re.IGNORECASE,
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_known_xss_payloads_come_out_inert(payload: str) -> None:
    # when
    html = str(render(payload))
    # then: no executable tag, event handler, dangerous scheme or inline style survives as markup
    markup = re.sub(r">[^<]*<", "><", f">{html}<")  # tags only: text between them may mention anything
    assert DANGEROUS.search(markup) is None, html


def test_links_keep_safe_schemes_and_relative_addresses() -> None:
    # when
    html = str(render("[a](https://example.com/x) [b](http://intranet/y) [c](mailto:hr@example.com) [d](/knowledge/)"))
    # then
    assert 'href="https://example.com/x"' in html
    assert 'href="http://intranet/y"' in html
    assert 'href="mailto:hr@example.com"' in html
    assert 'href="/knowledge/"' in html
    assert html.count('rel="noopener noreferrer nofollow"') == 4


def test_images_only_from_this_site() -> None:
    # when
    html = str(render("![a](https://tracker.example/p.png) ![b](//tracker.example/p.png) ![c](/attachments/3/)"))
    # then
    assert html.count("<img") == 3
    assert "tracker.example" not in html
    assert 'src="/attachments/3/"' in html


def test_raw_html_shows_as_text() -> None:
    # when
    html = str(render("<b>粗</b> <script>alert(1)</script>"))
    # then
    assert "&lt;b&gt;粗&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html


def test_markdown_features_render() -> None:
    # when
    html = str(
        render("## 背景\n\n**粗体** ~~删~~\n\n| 行动 | 负责人 |\n| --- | --- |\n| 复盘 | 王 |\n\n```python\nx = 1\n```")
    )
    # then
    assert "<h2>背景</h2>" in html
    assert "<strong>粗体</strong>" in html
    assert "<s>删</s>" in html
    assert "<td>复盘</td>" in html
    assert '<code class="language-python">' in html


def test_plain_text_drops_markdown_syntax() -> None:
    # when
    text = plain_text("## 背景\n\n**客户**投诉 [流程](https://x.example) `代码`\n\n- 一\n- 二")
    # then
    assert text == "背景 客户投诉 流程 代码 一 二"
