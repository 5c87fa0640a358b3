"""Target profiles: what each training platform accepts (see `sftprep.targets.base`).

Each module here registers one profile; the registry imports them all the first time
it is asked, so a new target is one new module (or a plugin's).

>>> list_targets()[:3]
['aidaptiv', 'axolotl', 'llama-factory']
>>> get_target("openai").rule_id
'target-openai'
"""

from __future__ import annotations

from sftprep.targets.base import TARGETS, Target, get_target, list_targets, register_target

__all__ = ["TARGETS", "Target", "get_target", "list_targets", "register_target"]
