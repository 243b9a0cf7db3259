"""Project guidelines are Markdown: rendered to HTML, with everything that could run stripped."""
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.template import Context, Template
from django.urls import reverse

from annotator.templatetags.markdown import render_markdown, sanitize_html
from platform_core.models import Role
from tests.factories import ProjectFactory

GUIDELINES = """# Sentiment rules

Read the **whole** review, then pick *one* label.

- sarcasm counts as negative
- mixed reviews: the last sentence decides

1. first
2. second

| label | when |
|:------|-----:|
| positive | praise |

Use `neutral` for facts:

```
The box arrived on Tuesday.
```

See [the style guide](https://example.com/guide) or [write to us](mailto:help@example.com).
"""
ACTIVE_TAGS = {"script", "style", "iframe", "object", "embed", "form", "input", "svg", "math", "div", "base", "meta", "link"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    """The markup a browser would build from `html`: (tag, attributes) of every element."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_inert(html: str) -> None:
    for tag, attrs in elements(html):
        assert tag not in ACTIVE_TAGS, html
        assert not any(name.startswith("on") or name == "style" for name in attrs), html
        if "href" in attrs:
            assert urlsplit(attrs["href"]).scheme in ("http", "https", "mailto"), html
        if "src" in attrs:
            assert urlsplit(attrs["src"]).scheme in ("http", "https"), html


def test_headings_lists_emphasis_tables_and_code_render():
    html = render_markdown(GUIDELINES)

    assert "<h1>Sentiment rules</h1>" in html
    assert "<strong>whole</strong>" in html and "<em>one</em>" in html
    assert "<ul>\n<li>sarcasm counts as negative</li>" in html
    assert "<ol>\n<li>first</li>" in html
    assert '<th class="align-left">label</th>' in html and '<td class="align-right">praise</td>' in html
    assert "<code>neutral</code>" in html
    assert "<pre><code>The box arrived on Tuesday.\n</code></pre>" in html
    assert_inert(html)


def test_links_keep_http_and_mailto_and_get_a_safe_rel():
    links = [attrs for tag, attrs in elements(render_markdown(GUIDELINES)) if tag == "a"]

    assert links == [
        {"href": "https://example.com/guide", "rel": "noopener noreferrer nofollow"},
        {"href": "mailto:help@example.com", "rel": "noopener noreferrer nofollow"},
    ]


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<iframe src="https://evil.example"></iframe>',
        '<div onclick="alert(1)">\n\n*inside*\n\n</div>',
        '<a href="javascript:alert(1)">click</a>',
        "<style>body { display: none }</style>",
        "<!-- a comment --><svg onload=alert(1)>",
    ],
)
def test_raw_html_in_the_markdown_is_shown_as_text(hostile):
    html = render_markdown(hostile)

    assert_inert(html)
    assert {tag for tag, _ in elements(html)} <= {"p", "em"}
    assert hostile.split(">")[0].replace("<", "&lt;") in html  # readable as text


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java%0ascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<javascript:alert(1)>",
        "[x]: javascript:alert(1)\n\n[x]",
    ],
)
def test_links_to_scripts_and_data_are_not_links(link):
    html = render_markdown(link)

    assert_inert(html)
    assert not any("href" in attrs for _, attrs in elements(html))


def test_images_load_from_http_only_never_from_data_urls():
    found = elements(render_markdown("![ok](https://example.com/cat.png) ![bad](data:image/png;base64,iVBORw0KGgo=)"))

    assert found == [("p", {}), ("img", {"src": "https://example.com/cat.png", "alt": "ok"}), ("img", {"alt": "bad"})]


def test_relative_links_are_dropped_so_every_link_says_where_it_goes():
    found = elements(render_markdown("[logout](/logout/) [there](//evil.example/x) [top](#top)"))

    assert [attrs.get("href") for tag, attrs in found if tag == "a"] == [None, None, None]


@pytest.mark.parametrize(
    "dirty",
    [
        "<p>a<script>alert(1)</script></p>",
        '<img src="https://example.com/a.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JAVASCRIPT:alert(1)">x</a>',
        '<a href="https://example.com" onmouseover="alert(1)" style="color:red">x</a>',
        '<p style="position:fixed">x</p>',
        '<iframe src="https://example.com"></iframe>',
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
        '<form action="https://example.com"><input name="password"></form>',
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    ],
)
def test_the_allow_list_holds_even_for_html_the_parser_let_through(dirty):
    """The second layer on its own: had markdown-it passed this HTML on, nh3 still stops it."""
    assert_inert(sanitize_html(dirty))


def test_the_filter_marks_its_output_safe_and_renders_nothing_for_empty_text():
    template = Template("{% load markdown %}{{ text|markdown }}")

    assert template.render(Context({"text": "*hi* & <b>"})) == "<p><em>hi</em> &amp; &lt;b&gt;</p>\n"
    assert template.render(Context({"text": ""})) == ""
    assert template.render(Context({"text": None})) == ""


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["project-detail", "project-label"])
def test_project_and_workspace_pages_show_the_guidelines_rendered(client, member, org, url_name):
    project = ProjectFactory(
        organization=org,
        guidelines="## Rules\n\n- be **kind**\n\n<script>alert('guidelines')</script>\n\n[x](javascript:alert(2))",
    )
    client.force_login(member(Role.ANNOTATOR, org))

    body = client.get(reverse(url_name, args=[project.id])).content.decode()

    assert '<div class="guidelines markdown"><h2>Rules</h2>' in body
    assert "<li>be <strong>kind</strong></li>" in body
    assert "&lt;script&gt;alert('guidelines')&lt;/script&gt;" in body
    assert "<script>alert(" not in body and 'href="javascript' not in body


@pytest.mark.django_db
def test_a_project_without_guidelines_says_so(client, member, project):
    project.guidelines = ""
    project.save()
    client.force_login(member(Role.ANNOTATOR, project.organization))

    body = client.get(reverse("project-label", args=[project.id])).content.decode()

    assert "No guidelines written for this project yet." in body
    assert 'class="guidelines' not in body
