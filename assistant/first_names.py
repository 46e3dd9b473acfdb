"""Whether a word is a known first name, from Faker's per-locale name lists.

The owner of a situation is often named where a sentence starts ("Priya has taken on the
migration"), where a capital says nothing; a first name that a verb follows is a person there.
Faker (MIT) carries first names for 86 locales, about 31,000 in all, and a thousand common
English words to leave out; it is the well-kept source of such lists on PyPI (the gender
guessers are GPL, the name datasets take gigabytes of memory). Only its lists are read, never
anything it generates.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

__all__ = ["is_first_name"]

_LIST_NAMES = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")


def _class_list(provider: type, attribute: str) -> object:
    # The lists are class attributes (tuples, or dicts of name -> weight) that a locale may
    # inherit; some providers build them as properties, which hold no list to read.
    return next((k.__dict__[attribute] for k in provider.__mro__ if attribute in k.__dict__), None)


@cache
def _first_names() -> frozenset[str]:
    import faker.providers.person as person  # a tenth of a second, and only when asked
    from faker.providers.lorem.en_US import Provider as english

    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        try:
            provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        except (ImportError, AttributeError):  # a locale without its own person provider
            continue
        for attribute in _LIST_NAMES:
            found = _class_list(provider, attribute)
            if isinstance(found, (tuple, list, dict)):
                names.update(n for n in found if isinstance(n, str) and n.isalpha())
    # A name that is also a common English word ("Summer", "Will", "May", "Case", and list
    # noise such as "Doctor") says nothing at the start of a sentence.
    common = {w.lower() for w in english.word_list}
    return frozenset(n for n in names if n.lower() not in common)


def is_first_name(word: str) -> bool:
    """True for a first name some locale lists that is no common English word, as written
    ("Priya", "Tomasz", "Chinedu"; not "Summer" or "Will")."""
    return word in _first_names()
