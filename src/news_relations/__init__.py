"""news_relations: entities, roles and relations in news articles, as spaCy components.

Importing the package registers the Doc extensions, the label schemes, the relation architecture,
scorer and the `relation_extractor` factory.
"""
from . import docs, schema, scoring  # noqa: F401  (registrations)
from .ml import backbone, relation_model  # noqa: F401
from .pipeline import aliases, relations  # noqa: F401

__version__ = "0.1.0"
