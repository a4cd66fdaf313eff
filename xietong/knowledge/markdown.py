"""Markdown to safe HTML, and to plain text for search.

Two walls: markdown-it-py renders CommonMark (plus tables and strikethrough) with raw HTML off, so
any HTML typed into a page comes out as text; its link check refuses ``javascript:``, ``vbscript:``,
``file:`` and ``data:`` targets. Then nh3 (ammonia) keeps only an allow-list of tags and attributes,
links to http, https, mailto and relative addresses, and images only from this site (a relative
address: no scheme, not ``//host``), so that a page cannot load third-party images (tracking) or
anything else. A ``rel="noopener noreferrer nofollow"`` goes on every link.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,32}$")
ALIGNMENTS = {"left", "right", "center"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _is_local(url: str) -> bool:
    """A relative address on this site: no scheme, no host, no backslash tricks."""
    url = url.strip()
    if not url or "\\" in url or any(ord(ch) < 0x20 for ch in url):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith("//")


def _link_ok(url: str) -> bool:
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme:
        return scheme in URL_SCHEMES
    return _is_local(url)


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _is_local(value) else None
    if tag == "a" and attribute == "href":
        return value if _link_ok(value) else None
    if tag == "code" and attribute == "class":
        return value if LANGUAGE_CLASS.match(value) else None
    if attribute == "align":
        return value if value in ALIGNMENTS else None
    if attribute == "start":
        return value if value.isdigit() and len(value) < 7 else None
    return value


def sanitize(fragment: str) -> str:
    """Keep only the allowed tags, attributes and addresses of an HTML fragment."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render(text: str) -> SafeString:
    """The page's Markdown as HTML that is safe to put into a page as is (marked safe for templates
    only after nh3 has cleaned it)."""
    return mark_safe(sanitize(_markdown.render(text or "")))


def plain_text(text: str) -> str:
    """The words of a page without Markdown syntax or markup (for the search index)."""
    bare = nh3.clean(_markdown.render(text or ""), tags=set(), clean_content_tags={"script", "style"})
    return " ".join(html.unescape(bare).split())
