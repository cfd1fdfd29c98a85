"""The SPARQL guard read as tokens (`sparql_guard.check_text`), the one guard of the server and of
both CLI engines (issue 24, finding 7: the keyword lexer it replaces skipped what it could not
read, so `e:o\\#` made it read the rest of the line as a comment and oxigraph then called the
SERVICE after it). It must fail closed and never cost the one-shot CLI rdflib's parser.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import serve_fixtures
from conftest import ROOT, run_cli
from klimatgraf import sparql_guard
from klimatgraf.errors import QueryError
from klimatgraf.sparql import list_queries

from .conftest import Listener

served_build = serve_fixtures.served_build
SERVICE = sparql_guard.SERVICE_REFUSED
PREFIX = "PREFIX e: <http://example.org/> "


def refusal(query: str) -> str | None:
    try:
        sparql_guard.check_text(query)
    except QueryError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(
    "query",
    [
        PREFIX + r"SELECT * WHERE { BIND(e:o\# AS ?x) SERVICE <{url}> { ?s ?p ?o } }",
        PREFIX + r"SELECT * WHERE { LATERAL { BIND(e:o\# AS ?x) } SERVICE <{url}> { ?s ?p ?o } }",
        PREFIX + r"SELECT * WHERE { BIND(e:o\' AS ?x) SERVICE <{url}> { ?s ?p ?o } } # '",
        "SELECT * WHERE {{ ?s ?p ?o # comment\n SERVICE <{url}> {{ }} }}".replace("{{", "{").replace("}}", "}"),
    ],
)
def test_cli_guard_fails_closed_where_rdflib_cannot_parse(query: str, served_build: Path, tmp_path: Path) -> None:
    """Finding 7 on the default engine (oxigraph), with a listener of its own that must get nothing."""
    target = Listener()
    try:
        query_file = tmp_path / "probe.rq"
        query_file.write_text(query.replace("{url}", target.url), encoding="utf-8")
        result = run_cli("sparql", str(query_file), "--build-dir", str(served_build))
        assert result.returncode == 2, (result.returncode, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "SERVICE is refused" in lines[0], result.stderr
        assert target.connections == 0
    finally:
        target.close()


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x> { }" }',  # in a string
        "SELECT * WHERE { ?s ?p '''\nFROM <x>\n''' }",  # in a long string
        "SELECT * WHERE { ?s <http://example.org/graph#service> ?o }",  # in an IRI, '#' included
        PREFIX + 'SELECT ?service WHERE { ?service e:from _:graph . ?x e:a "x"@graph }',  # names, tags, labels
        PREFIX + r"SELECT * WHERE { ?s e:o\#x ?o }",  # an escaped '#' in a local name is not a comment
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x> {}",  # a real comment
        'SELECT ("\\uD800" AS ?x) WHERE { }',  # an escape in a string (evaluation decides)
        "ASK {}",
    ],
)
def test_keywords_inside_tokens_are_not_keywords(text: str) -> None:
    assert refusal(text) is None


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("select * where { service <x> { } }", SERVICE),
        ("SELECT * WHERE { ?s ?p ?o # x\nSERVICE ?g { } }", SERVICE),  # the comment ends at the newline
        (PREFIX + r"SELECT * WHERE { BIND(e:o\# AS ?x) SERVICE <x> { } }", SERVICE),
        ("SELECT * FROM <http://x> WHERE { }", "FROM and FROM NAMED"),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "GRAPH patterns"),
        ("# a comment first\nINSERT DATA { <a> <b> <c> }", "SPARQL Update is not allowed"),
        ("S\\u0045RVICE <x> { }", "SPARQL syntax error"),  # escapes outside strings: not SPARQL tokens
        ('SELECT * WHERE { ?s ?p "a\\u0022 } SERVICE <x> { } #" }', "SPARQL syntax error"),  # an escaped quote
        ("SELECT * WHERE { ?s ?p ?o } \u00a0 SERVICE", "SPARQL syntax error"),  # not SPARQL white space
        ('SELECT * WHERE { ?s ?p "unterminated }', "SPARQL syntax error"),
    ],
)
def test_what_the_guard_refuses(text: str, starts: str) -> None:
    message = refusal(text)
    assert message is not None and message.startswith(starts), message
    assert "\n" not in message


def test_every_named_query_and_attack_case_reads_as_tokens() -> None:
    for query in list_queries():
        assert sparql_guard.text_refusal(query.text) is None, query.name
    for case in (ROOT / "tests" / "security" / "attacks").glob("*.rq"):
        sparql_guard.words(case.read_text(encoding="utf-8"))  # no LexError


def test_a_syntax_error_reads_as_rdflib_said_it() -> None:
    with pytest.raises(QueryError) as caught:
        sparql_guard.check_text('SELECT ?s WHERE { ?s ?p "open }')
    assert str(caught.value).startswith("SPARQL syntax error at line 1, column")


# Valid pattern pieces an attacker would put before or after a SERVICE call: each kind of token
# that can hide text from a careless reader (escaped local names, strings, IRIs with '#',
# comments, oxigraph-only syntax that rdflib cannot parse).
PIECES = [
    r"BIND(e:o\# AS ?v{n})",
    r"BIND(e:o\' AS ?v{n})",
    'BIND("a#b" AS ?v{n})',
    "BIND('''x\n#''' AS ?v{n})",
    "BIND(<http://example.org/a#b> AS ?v{n})",
    "# a comment\n",
    "LATERAL {{ BIND(1 AS ?v{n}) }}",
    'OPTIONAL {{ ?v{n} e:p "x"@en }}',
    r"FILTER(?v0 != e:o\#)",
    "BIND(e:a.b AS ?v{n})",
    "BIND(1 AS ?v{n}) .",
    "VALUES ?v{n} {{ e:x }}",
]
CALLS = [
    "SERVICE <{url}> {{ ?s ?p ?o }}",
    "OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "FILTER EXISTS {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
]


def probe_query(before: list[str], call: str, after: list[str], url: str) -> str:
    pieces = [p.format(n=i + 1) for i, p in enumerate([*before, "@", *after])]
    body = " ".join(call.format(url=url) if p == "@" else p for p in pieces)
    return PREFIX + "SELECT * WHERE { BIND(1 AS ?v0) " + body + " }"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(PIECES), max_size=5), st.sampled_from(CALLS), st.lists(st.sampled_from(PIECES), max_size=3)
)
def test_whatever_the_guard_lets_through_oxigraph_never_calls_out(
    before: list[str], call: str, after: list[str]
) -> None:
    """The oracle is oxigraph itself: a query with a SERVICE call among pieces of every tricky kind
    is either refused by the guard, or run on a store, where a listener that stands for the
    SERVICE target must then get no connection."""
    import pyoxigraph

    target = Listener()
    try:
        query = probe_query(before, call, after, target.url)
        if refusal(query) is not None:
            return
        try:
            answer = pyoxigraph.Store().query(query)
            if not isinstance(answer, pyoxigraph.QueryBoolean):
                list(answer)
        except (SyntaxError, OSError, RuntimeError, ValueError):
            pass
        assert target.connections == 0, query
    finally:
        target.close()


def test_query_twins_does_not_import_rdflibs_sparql_parser(served_build: Path) -> None:
    """The one-shot CLI path of a named query on the default engine (finding 7's price: 57 ms of
    import alone). Its time is measured in docs/benchmarks.md, never here."""
    probe = (
        "import sys\n"
        "import klimatgraf.cli as cli\n"
        "from klimatgraf.cli import main\n"
        "def stay(code):\n    raise SystemExit(code)\n"  # the read-only fast exit would skip the lines below
        "cli._leave_now = stay\n"
        f"sys.argv = ['klimatgraf', 'query', 'twins', '--build-dir', {str(served_build)!r}]\n"
        "try:\n    main()\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('rdflib.plugins.sparql'))\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stderr, result.stderr[-500:]
    assert result.stdout.strip(), "twins printed nothing"
