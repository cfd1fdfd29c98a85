"""Vocabularies as rdflib DefinedNamespaces (`_fail = True`): a typo in a term fails at import.

KG mirrors ontology/klimatgraf.ttl term for term; tests/test_ontology.py checks that the two
agree. CPOV and QUDT are declared for the few terms we use because rdflib does not ship them.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace


class KG(DefinedNamespace):
    """klimatgraf ontology terms."""

    _NS = Namespace("https://w3id.org/klimatgraf/ontology#")
    _fail = True

    # classes
    Municipality: URIRef
    Agency: URIRef
    Programme: URIRef
    Agreement: URIRef
    ClimateContract: URIRef
    IntentDeclaration: URIRef
    Paragraph: URIRef
    Fact: URIRef
    PartyStatement: URIRef
    TwinRelation: URIRef
    CommitmentAdoption: URIRef
    ClimateGoal: URIRef
    ClimateTarget: URIRef
    ClimateAmbition: URIRef
    CarbonBudget: URIRef
    EmissionFigure: URIRef
    ThemeFocus: URIRef  # deprecated (issue 23): no graph uses it
    ThemeHeading: URIRef
    OrganisationMention: URIRef
    SteeringDocument: URIRef
    # object properties
    municipality: URIRef
    hasParty: URIRef
    party: URIRef
    statedIn: URIRef
    aboutMunicipality: URIRef
    twin: URIRef
    pioneer: URIRef
    twinOf: URIRef
    pioneerOf: URIRef
    commitment: URIRef
    adopts: URIRef
    scope: URIRef
    targetKind: URIRef
    modality: URIRef
    theme: URIRef  # deprecated (issue 23)
    worksOn: URIRef  # deprecated (issue 23)
    namesConcept: URIRef
    organisation: URIRef
    mentions: URIRef
    # datatype properties
    countyCode: URIRef
    countyName: URIRef
    version: URIRef
    editionYear: URIRef
    latestEdition: URIRef
    sha256: URIRef
    fileName: URIRef
    ordinal: URIRef
    text: URIRef
    section: URIRef
    page: URIRef
    boilerplate: URIRef
    targetYear: URIRef
    baseYear: URIRef
    upperValue: URIRef
    accountingNote: URIRef
    year: URIRef
    organisationKind: URIRef
    # concepts (tags on passages)
    ConceptTag: URIRef
    Classifier: URIRef
    concept: URIRef
    tier: URIRef
    spanStart: URIRef
    spanEnd: URIRef
    score: URIRef
    matchedText: URIRef
    negativeLabel: URIRef
    # quantity kinds QUDT lacks (the units are QUDT's own: unit:TONNE, unit:PERCENT)
    CO2EquivalentPerCapita: URIRef
    AnnualReductionRate: URIRef


class CPOV(DefinedNamespace):
    """Core Public Organisation Vocabulary (the terms used here)."""

    _NS = Namespace("http://data.europa.eu/m8g/")
    _fail = True

    PublicOrganisation: URIRef


class QUDT(DefinedNamespace):
    """QUDT schema (the terms used here)."""

    _NS = Namespace("http://qudt.org/schema/qudt/")
    _fail = True

    numericValue: URIRef
    unit: URIRef
    Unit: URIRef
    symbol: URIRef
    hasQuantityKind: URIRef
    QuantityKind: URIRef


class UNIT(DefinedNamespace):
    """QUDT units (the terms used here)."""

    _NS = Namespace("http://qudt.org/vocab/unit/")
    _fail = True

    PERCENT: URIRef
    TONNE: URIRef


class QUANTITYKIND(DefinedNamespace):
    """QUDT quantity kinds (the terms used here)."""

    _NS = Namespace("http://qudt.org/vocab/quantitykind/")
    _fail = True

    CO2Equivalent: URIRef


ID = Namespace("https://w3id.org/klimatgraf/id/")
SCHEMA = Namespace("https://schema.org/")
