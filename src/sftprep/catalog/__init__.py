"""The rule catalogue (see `sftprep.catalog.base`): ids, severities, hints and docs.

`structure` documents the ids the readers and format adapters emit; importing the
package registers them, so naming one of those findings imports no rule code.
"""

from sftprep.catalog import structure  # noqa: F401  (registers the reader/schema ids)
from sftprep.catalog.base import (
    MAX_EXCERPT,
    RULES,
    Rule,
    Shift,
    excerpt,
    get_rule,
    list_rules,
    make_finding,
    register_rule,
    select_rules,
)

__all__ = [
    "MAX_EXCERPT",
    "RULES",
    "Rule",
    "Shift",
    "excerpt",
    "get_rule",
    "list_rules",
    "make_finding",
    "register_rule",
    "select_rules",
]
