"""Every URL of the project, for tests that check a rule on all pages rather than a
hand-picked list: each URL pattern (django.urls.get_resolver()), its parameters filled
with values the test supplies (the pks of the objects it made, slugs the views take)."""

import itertools
import re
from collections.abc import Callable, Iterator

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from django.urls.resolvers import RoutePattern

from annotator.views.videos import SERVABLE_FIELDS

Chain = tuple[URLResolver | URLPattern, ...]
# (parameter name, converter: "int", "slug", "uuid", "str", ..., "re" for a named
# regex group, "positional" for an unnamed one) -> the values to try.
Candidates = Callable[[str, str], list[str]]

# Patterns no walk requests, and why.
SKIPPED = {
    "admin/(?P<url>.*)$": "the admin's catch-all; it answers as the admin URLs visited do",
}
HTMX = {"HX-Request": "true"}
# Values of the path parameters that are not ids, which reach the views.
WORDS = {
    "field": list(SERVABLE_FIELDS),
    "kind": ["rubrics", "jsonl", "csv"],
    "app_label": ["annotator", "rubrics_app", "auth"],
    "export_format": ["manifest", "csv", "jsonl"],
    "action": ["approve", "retire"],
    "decision": ["accept", "reject"],
    "uidb64": ["MQ"],
    "token": ["set-password"],
    "url": ["nowhere"],
}


def patterns(found=None, namespaces: tuple[str, ...] = (), parents: Chain = ()):
    """(namespaced name or None, the patterns leading to it) of every URL pattern."""
    for pattern in get_resolver().url_patterns if found is None else found:
        if isinstance(pattern, URLResolver):
            ns = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from patterns(pattern.url_patterns, ns, (*parents, pattern))
        else:
            name = ":".join((*namespaces, pattern.name)) if pattern.name else None
            yield name, (*parents, pattern)


def route(chain: Chain) -> str:
    return "".join(str(p.pattern) for p in chain)


def parameters(chain: Chain) -> dict[str, str]:
    """The pattern's parameters: name -> converter (unnamed regex groups, as in
    simple-history's admin URLs, are named by their position)."""
    found = {}
    for pattern in chain:
        if isinstance(pattern.pattern, RoutePattern):
            for name, converter in pattern.pattern.converters.items():
                found[name] = type(converter).__name__.removesuffix("Converter").lower()
        else:
            regex = pattern.pattern.regex
            found.update(dict.fromkeys(regex.groupindex, "re"))
            if not regex.groupindex:
                found.update({f"#{len(found) + i}": "positional" for i in range(regex.groups)})
    return found


def urls(chain: Chain, name: str | None, candidates: Candidates) -> Iterator[str]:
    """The pattern's URLs for every combination of candidate values it accepts."""
    params = parameters(chain)
    choices = [candidates(p, c) for p, c in params.items()]
    for values in itertools.product(*choices):
        kwargs = dict(zip(params, values, strict=True))
        if name is not None:
            positional = any(c == "positional" for c in params.values())
            try:
                yield reverse(name, **({"args": values} if positional else {"kwargs": kwargs}))
            except NoReverseMatch:
                continue
        else:
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, k=kwargs: k[m.group(1)], route(chain))


def walk(
    candidates_for: Callable[[Chain], Candidates],
) -> Iterator[tuple[str | None, str, str]]:
    """(name, route, url) of every URL of every pattern but the SKIPPED ones, with path
    values from candidates_for(the pattern's chain)."""
    for name, chain in patterns():
        if route(chain) not in SKIPPED:
            for url in urls(chain, name, candidates_for(chain)):
                yield name, route(chain), url


def unvisited(visited: set[str]) -> set[str]:
    """The routes a walk should have visited and did not."""
    return {route(chain) for _, chain in patterns()} - visited - set(SKIPPED)
