"""The label scheme: entity labels, relation labels and their argument types, in one place."""
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, Optional, Tuple

import spacy


@dataclass(frozen=True)
class RelationType:
    """One relation label with the entity labels allowed as its head and tail."""

    label: str
    heads: FrozenSet[str]
    tails: FrozenSet[str]
    description: str = ""

    def allows(self, head_label: str, tail_label: str) -> bool:
        """Whether a (head, tail) pair of these entity labels may carry this relation."""
        return head_label in self.heads and tail_label in self.tails


@dataclass(frozen=True)
class LabelScheme:
    """Entity labels, relation types and the groups of relation labels that exclude each other."""

    name: str
    entity_labels: Tuple[str, ...]
    relation_types: Tuple[RelationType, ...]
    exclusive_groups: Tuple[Tuple[str, ...], ...] = ()
    # Entity labels that name things (clustered into entities); the others are counted per mention.
    clustered_labels: FrozenSet[str] = field(default_factory=frozenset)
    # (first, second, implied): first(a, b) and second(b, c) state implied(a, c) under the guidelines.
    compositions: Tuple[Tuple[str, str, str], ...] = ()

    @property
    def relation_labels(self) -> Tuple[str, ...]:
        """The relation labels in scheme order."""
        return tuple(rt.label for rt in self.relation_types)

    def relation_type(self, label: str) -> Optional[RelationType]:
        """The relation type with this label, or None when the scheme has no such label."""
        return next((rt for rt in self.relation_types if rt.label == label), None)

    def allowed_labels(self, head_label: str, tail_label: str) -> Tuple[str, ...]:
        """The relation labels a (head, tail) pair of these entity labels may carry."""
        return tuple(rt.label for rt in self.relation_types if rt.allows(head_label, tail_label))

    def can_relate(self, head_label: str, tail_label: str) -> bool:
        """Whether any relation label allows this ordered pair of entity labels."""
        return any(rt.allows(head_label, tail_label) for rt in self.relation_types)

    def exclusive_partners(self, label: str) -> Tuple[str, ...]:
        """Relation labels that cannot hold for the same pair as this one."""
        partners: Tuple[str, ...] = ()
        for group in self.exclusive_groups:
            if label in group:
                partners += tuple(other for other in group if other != label)
        return partners

    def to_dict(self) -> dict:
        """A JSON-serialisable description, for meta.json and docs."""
        return {
            "name": self.name,
            "entity_labels": list(self.entity_labels),
            "relations": {
                rt.label: {"head": sorted(rt.heads), "tail": sorted(rt.tails), "description": rt.description}
                for rt in self.relation_types
            },
            "exclusive_groups": [list(g) for g in self.exclusive_groups],
            "compositions": [list(c) for c in self.compositions],
        }


def _rt(label: str, heads: Iterable[str], tails: Iterable[str], description: str) -> RelationType:
    return RelationType(label, frozenset(heads), frozenset(tails), description)


NEWS_SCHEME = LabelScheme(
    name="news",
    entity_labels=("PERSON", "ORG", "GPE", "LOC", "NORP", "ROLE"),
    relation_types=(
        _rt("AFFILIATED_WITH", ["PERSON"], ["ORG", "GPE"], "the person is now a member, employee or representative of it"),
        _rt("FORMERLY_AFFILIATED_WITH", ["PERSON"], ["ORG", "GPE"], "the person was so affiliated in the past and no longer is"),
        _rt("HAS_ROLE", ["PERSON"], ["ROLE"], "the person holds the title now"),
        _rt("FORMER_ROLE", ["PERSON"], ["ROLE"], "the person held the title in the past"),
        _rt("ROLE_OF", ["ROLE"], ["ORG", "GPE", "NORP"], "the title is a position in that organization or state"),
        _rt("CITIZEN_OF", ["PERSON"], ["GPE", "NORP"], "the person's nationality, citizenship or origin"),
        _rt("LOCATED_IN", ["ORG", "GPE", "LOC"], ["GPE", "LOC"], "the first is located in, based in or part of the second"),
    ),
    exclusive_groups=(("AFFILIATED_WITH", "FORMERLY_AFFILIATED_WITH"), ("HAS_ROLE", "FORMER_ROLE")),
    clustered_labels=frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP"}),
    # "X, the chief executive of Acme": HAS_ROLE + ROLE_OF state AFFILIATED_WITH(X, Acme); with "former", the
    # former pair (docs/GUIDELINES.md, "A person with a role in a body").
    compositions=(("HAS_ROLE", "ROLE_OF", "AFFILIATED_WITH"), ("FORMER_ROLE", "ROLE_OF", "FORMERLY_AFFILIATED_WITH")),
)

CONLL04_SCHEME = LabelScheme(
    name="conll04",
    entity_labels=("Peop", "Org", "Loc", "Other"),
    relation_types=(
        _rt("Work_For", ["Peop"], ["Org"], "a person works for an organization"),
        _rt("Kill", ["Peop"], ["Peop"], "a person killed another"),
        _rt("OrgBased_In", ["Org"], ["Loc"], "an organization is based in a place"),
        _rt("Live_In", ["Peop"], ["Loc"], "a person lives in a place"),
        _rt("Located_In", ["Loc"], ["Loc"], "a place is located in another"),
    ),
    clustered_labels=frozenset({"Peop", "Org", "Loc", "Other"}),
)

# One example per label, for the model card and docs.
NEWS_EXAMPLES: Dict[str, str] = {
    "PERSON": "Aminata Traoré; Traoré",
    "ORG": "Malian Armed Forces; the country's navy; JNIM",
    "GPE": "Mali; Bamako",
    "LOC": "the Sahel; the Niger River",
    "NORP": "Tuareg; Malian",
    "ROLE": "chief of staff; General; spokesman",
    "AFFILIATED_WITH": "Abdoulaye Maïga → Malian Armed Forces (\"General Abdoulaye Maïga of the Malian Armed Forces\")",
    "FORMERLY_AFFILIATED_WITH": "Oumar Diarra → Malian Armed Forces (\"dismissed as chief of staff of the Malian Armed Forces\")",
    "HAS_ROLE": "Abdoulaye Maïga → General",
    "FORMER_ROLE": "Oumar Diarra → chief of staff (\"dismissed Oumar Diarra as chief of staff\")",
    "ROLE_OF": "chief of staff → Malian Armed Forces",
    "CITIZEN_OF": "Aminata Traoré → Malian (\"the Malian journalist Aminata Traoré\")",
    "LOCATED_IN": "Bamako → Mali",
}

SCHEMES: Dict[str, LabelScheme] = {s.name: s for s in (NEWS_SCHEME, CONLL04_SCHEME)}


def get_scheme(name: str) -> LabelScheme:
    """The scheme registered under this name."""
    if name not in SCHEMES:
        raise ValueError(f"Unknown label scheme '{name}': choose one of {sorted(SCHEMES)}")
    return SCHEMES[name]


@spacy.registry.misc("news_relations.scheme.v1")
def make_scheme(name: str = "news") -> LabelScheme:
    """The label scheme, for use in configs (`@misc = "news_relations.scheme.v1"`)."""
    return get_scheme(name)
