"""Data-driven SHACL cases (pySHACL style): tests/shapes/valid/*.ttl conform, invalid/*.ttl do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from klimatgraf.validate import validate

CASES = Path(__file__).parent / "shapes"
VALID = sorted((CASES / "valid").glob("*.ttl"))
INVALID = sorted((CASES / "invalid").glob("*.ttl"))
# cases of the SHACL-SPARQL rule (pySHACL only: rdf-validate-shacl has no SPARQL constraints)
SPARQL_VALID = sorted((CASES / "sparql" / "valid").glob("*.ttl"))
SPARQL_INVALID = sorted((CASES / "sparql" / "invalid").glob("*.ttl"))


@pytest.mark.parametrize("case", VALID + SPARQL_VALID, ids=lambda p: p.stem)
def test_valid_case_conforms(case: Path) -> None:
    result = validate(Graph().parse(case))
    assert result.conforms, result.report_text


@pytest.mark.parametrize("case", INVALID + SPARQL_INVALID, ids=lambda p: p.stem)
def test_invalid_case_is_reported(case: Path) -> None:
    result = validate(Graph().parse(case))
    assert not result.conforms
    assert result.results and all(r["message"] for r in result.results)


# Which invalid case exercises which node shape (every shape must appear).
SHAPE_CASES = {
    "MunicipalityShape": ["kommunkod-not-four-digits", "twin-is-its-own-pioneer"],
    "AgencyShape": ["agency-without-name"],
    "ProgrammeShape": ["programme-without-name"],
    "AgreementShape": ["document-with-two-municipalities", "document-without-type", "document-bad-sha256"],
    "ParagraphShape": ["paragraph-without-text"],
    "FactShape": ["fact-without-provenance", "fact-derived-from-a-non-paragraph"],
    "PartyStatementShape": ["party-statement-without-party"],
    "TwinRelationShape": ["twin-is-its-own-pioneer"],
    "CommitmentAdoptionShape": ["commitment-number-out-of-range", "commitment-outside-scheme"],
    "ClimateTargetShape": [
        "target-year-out-of-range",
        "target-year-as-gyear",
        "base-year-after-target-year",
        "reduction-over-100-percent",
        "goal-without-modality",
        "range-upper-below-lower",
    ],
    "ValuelessTargetShape": ["neutrality-with-a-value"],
    "ReductionTargetShape": ["reduction-in-tonnes"],
    "AnnualReductionTargetShape": ["annual-reduction-without-rate-kind"],
    "CapTargetShape": ["cap-per-person-as-absolute-cap"],
    "RelativeCapTargetShape": ["relative-cap-without-base-year"],
    "PerPersonCapTargetShape": ["per-person-cap-as-a-total"],
    "EmissionFigureShape": ["emission-in-unknown-unit", "emission-without-quantity-kind"],
    "QuantityShape": ["emission-in-unknown-unit", "tonnes-as-an-annual-rate", "percent-as-co2-equivalent"],
    "ThemeHeadingShape": ["theme-heading-names-a-commitment", "theme-heading-without-label"],
    "VocabularyMemberShape": ["theme-heading-names-a-commitment"],
    "OrganisationMentionShape": ["organisation-of-unknown-kind"],
    "SteeringDocumentShape": ["steering-document-url-not-http"],
    "ConceptShape": ["concept-without-label"],
    "EditionVersionShape": ["two-editions-share-a-version"],
    "VocabularyConceptShape": [
        "concept-with-two-english-labels",
        "concept-without-definition",
        "concept-label-shared-by-two-concepts",
    ],
    "ConceptSchemeShape": ["concept-broader-cycle", "concept-reached-from-no-top-concept"],
    "ConceptTagShape": ["concept-tag-span-backwards", "concept-tag-without-classifier"],
    "ClassifierShape": ["classifier-without-version"],
}

# The concept vocabulary's cases and the message each must give (issue 22: the scheme's rules).
VOCABULARY_CASES = {
    "concept-with-two-english-labels": "exactly one English skos:prefLabel",
    "concept-without-definition": "one Swedish skos:definition",
    "concept-label-shared-by-two-concepts": "a word must lead to one concept",
    "concept-broader-cycle": "skos:broader has a cycle",
    "concept-reached-from-no-top-concept": "reached from no top concept",
    "concept-tag-span-backwards": "starts at a character offset before its end",
    "concept-tag-without-classifier": "attributed to one classifier",
    "classifier-without-version": "one version",
    "theme-heading-names-a-commitment": "names concepts of the vocabulary",
    "theme-heading-without-label": "keeps its words as written",
}


@pytest.mark.parametrize("name", sorted(VOCABULARY_CASES))
def test_vocabulary_case_is_reported_with_its_rule(name: str) -> None:
    path = next(p for p in INVALID + SPARQL_INVALID if p.stem == name)
    result = validate(Graph().parse(path))
    assert not result.conforms
    assert any(VOCABULARY_CASES[name] in (r["message"] or "") for r in result.results), result.report_text


def test_the_shipped_vocabulary_conforms() -> None:
    from klimatgraf.concepts.scheme import default_vocabulary

    result = validate(Graph().parse(default_vocabulary()))
    assert result.conforms, result.report_text


# The unit cases and the one message each must give (QUDT units with quantity kinds, docs/decisions.md).
UNIT_CASES = {
    "emission-in-unknown-unit": "An emission figure is in tonnes (unit:TONNE).",
    "emission-without-quantity-kind": "An emission figure is CO2 equivalent",
    "tonnes-as-an-annual-rate": "Tonnes are CO2 equivalent (total or per person)",
    "percent-as-co2-equivalent": "Tonnes are CO2 equivalent (total or per person)",
}


@pytest.mark.parametrize("name", sorted(UNIT_CASES))
def test_unit_case_is_reported_for_its_unit(name: str) -> None:
    result = validate(Graph().parse(CASES / "invalid" / f"{name}.ttl"))
    assert not result.conforms
    assert any(UNIT_CASES[name] in (r["message"] or "") for r in result.results), result.report_text
    # only the quantity is wrong in these cases: every violation is about the value's unit or kind
    assert all("/f" in (r["focus"] or "") for r in result.results), result.report_text


def test_every_node_shape_has_a_failing_case() -> None:
    from rdflib.namespace import RDF, SH

    from klimatgraf.validate import load_shapes

    shapes = {str(s).rsplit("#", 1)[-1] for s in load_shapes().subjects(RDF.type, SH.NodeShape)}
    assert shapes == set(SHAPE_CASES)
    names = {case.stem for case in INVALID + SPARQL_INVALID}
    for shape, cases in SHAPE_CASES.items():
        assert set(cases) <= names, f"{shape}: missing case files {set(cases) - names}"


def test_seed_graph_conforms(seed_build: Path) -> None:
    result = validate(Graph().parse(seed_build / "graph.ttl"))
    assert result.conforms, result.report_text
