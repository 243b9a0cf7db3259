"""`{{ text|markdown }}`: Markdown written by managers (project guidelines) as safe HTML.

Two layers, because either alone has let markup through somewhere: markdown-it never passes raw
HTML on (it is escaped and shown as text), and nh3 then keeps only the tags and attributes below,
so a parser bug or a later option change still cannot smuggle in a script, a handler or a frame.
"""
from urllib.parse import urlsplit

import nh3
from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# CommonMark plus GFM tables. html=False: `<script>` typed into the guidelines shows as text.
_PARSER = MarkdownIt("commonmark", {"html": False}).enable("table")

ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote",
    "strong", "em", "code", "pre", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
LINK_SCHEMES = {"http", "https", "mailto"}
IMAGE_SCHEMES = {"http", "https"}  # never data: (nor mailto:)
# Table column alignment travels as a class: markdown-it's inline style is not allowed through.
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
LINK_REL = "noopener noreferrer nofollow"


def _absolute_url_only(tag: str, attribute: str, value: str) -> str | None:
    """Keep href/src only with an allowed scheme: relative URLs are dropped as well, so a link in
    the guidelines always says where it goes."""
    if attribute not in ("href", "src"):
        return value
    schemes = IMAGE_SCHEMES if tag == "img" else LINK_SCHEMES
    return value if urlsplit(value.strip()).scheme.lower() in schemes else None


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_absolute_url_only,
    url_schemes=LINK_SCHEMES,
    url_relative="deny",
    link_rel=LINK_REL,
    allowed_classes={"th": ALIGN_CLASSES, "td": ALIGN_CLASSES},
)


def render_markdown(text: str) -> str:
    """Markdown → sanitized HTML (a plain str; the filter marks it safe)."""
    tokens = _PARSER.parse(str(text or ""))
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrSet("class", "align-" + style.removeprefix("text-align:"))
    return sanitize_html(_PARSER.renderer.render(tokens, _PARSER.options, {}))


def sanitize_html(html: str) -> str:
    """The allow-list alone, for HTML from any source (the second layer of render_markdown)."""
    return _CLEANER.clean(html)


@register.filter(is_safe=True)
def markdown(text) -> str:
    return mark_safe(render_markdown(text))
