"""klimatgraf: Swedish municipal climate contracts as a validated knowledge graph and search engine."""

__version__ = "0.1.0"
