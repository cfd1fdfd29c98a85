"""Concepts: the Swedish climate-policy vocabulary (SKOS), its label matcher and the passage tagger."""
