"""Discord's documented limits: on every body the bot sends, and on how fast it sends.

discord.py checks none of the body limits before sending; Discord answers a violation with
``400 {"code": 50035, "message": "Invalid Form Body", "errors": {...}}``. Each check returns
``Problem``s naming the JSON path, so the fake can build that exact shape. ``RateLimiter``
decides the 429s: the global limit and the per-route buckets (see the section below).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CONTENT = 2000
EMBEDS = 10
EMBED_TOTAL = 6000
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
COMMAND_DESCRIPTION = 100
OPTIONS = 25
COMMAND_TOTAL = 8000
COMMANDS_PER_SCOPE = 100
STRING_LENGTH_MAX = 6000

# Lowercase letters/digits/-_' in any script; Discord's regex, without the Deva/Thai classes.
_NAME = re.compile(r"^[-_'\w]{1,32}$")
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, NUMBER = 1, 2, 3, 4, 10


@dataclass(frozen=True, slots=True)
class Problem:
    path: tuple[str | int, ...]
    code: str
    message: str


def invalid_form_body(problems: Sequence[Problem]) -> dict[str, Any]:
    """The body Discord sends with a 400 for ``problems``."""
    errors: dict[str, Any] = {}
    for problem in problems:
        node = errors
        for key in problem.path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def _too_long(path: tuple[str | int, ...], value: Any, limit: int) -> Iterator[Problem]:
    if isinstance(value, str) and len(value.strip()) > limit:
        yield Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def message_problems(body: Mapping[str, Any]) -> list[Problem]:
    """Content, embeds and allowed_mentions of a message, followup or callback data."""
    problems: list[Problem] = list(_too_long(("content",), body.get("content"), CONTENT))
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS:
        problems.append(
            Problem(("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS} or fewer in length.")
        )
    total = 0
    for index, embed in enumerate(embeds):
        problems.extend(_embed_problems(("embeds", index), embed))
        total += embed_length(embed)
    if total > EMBED_TOTAL:
        problems.append(
            Problem(
                ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
            )
        )
    if not body.get("content") and not embeds and not body.get("attachments"):
        problems.append(Problem((), "MESSAGE_EMPTY", "Cannot send an empty message"))
    return problems


NONCE = 25


def nonce_problems(body: Mapping[str, Any]) -> list[Problem]:
    """Create Message's ``nonce``: an integer or a string of at most 25 characters."""
    nonce = body.get("nonce")
    if nonce is None:
        return []
    if isinstance(nonce, bool) or not isinstance(nonce, int | str):
        return [Problem(("nonce",), "BASE_TYPE_STRING", "Must be a string or an integer.")]
    if isinstance(nonce, str) and len(nonce) > NONCE:
        return [Problem(("nonce",), "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE} or fewer in length.")]
    return []


def embed_length(embed: Mapping[str, Any]) -> int:
    """Discord's count: title, description, field names and values, footer and author text."""
    parts = [embed.get("title"), embed.get("description")]
    parts += [(embed.get("footer") or {}).get("text"), (embed.get("author") or {}).get("name")]
    for field in embed.get("fields") or []:
        parts += [field.get("name"), field.get("value")]
    return sum(len(part.strip()) for part in parts if isinstance(part, str))


def _embed_problems(path: tuple[str | int, ...], embed: Mapping[str, Any]) -> Iterator[Problem]:
    yield from _too_long((*path, "title"), embed.get("title"), TITLE)
    yield from _too_long((*path, "description"), embed.get("description"), DESCRIPTION)
    yield from _too_long((*path, "footer", "text"), (embed.get("footer") or {}).get("text"), FOOTER)
    yield from _too_long((*path, "author", "name"), (embed.get("author") or {}).get("name"), AUTHOR)
    url = embed.get("url")
    if url is not None and not (isinstance(url, str) and re.match(r"^https?://\S+$", url)):
        yield Problem((*path, "url"), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    fields = embed.get("fields") or []
    if len(fields) > FIELDS:
        yield Problem(
            (*path, "fields"), "BASE_TYPE_MAX_LENGTH", f"Must be {FIELDS} or fewer in length."
        )
    for index, field in enumerate(fields):
        for key, limit in (("name", FIELD_NAME), ("value", FIELD_VALUE)):
            value = field.get(key)
            if not isinstance(value, str) or not value.strip():
                yield Problem(
                    (*path, "fields", index, key), "BASE_TYPE_REQUIRED", "This field is required"
                )
            else:
                yield from _too_long((*path, "fields", index, key), value, limit)


def choice_problems(choices: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """An autocomplete result (callback type 8)."""
    problems: list[Problem] = []
    if len(choices) > CHOICES:
        problems.append(
            Problem(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        )
    for index, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_NAME:
            problems.append(
                Problem(
                    ("data", "choices", index, "name"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
            )
        value = choice.get("value")
        if isinstance(value, str) and len(value) > CHOICE_VALUE:
            problems.append(
                Problem(
                    ("data", "choices", index, "value"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                )
            )
    return problems


def command_list_problems(commands: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """A bulk overwrite of one scope's commands (global or one guild)."""
    problems: list[Problem] = []
    if len(commands) > COMMANDS_PER_SCOPE:
        problems.append(Problem((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
    seen: set[tuple[str, int]] = set()
    for index, command in enumerate(commands):
        key = (str(command.get("name")), int(command.get("type", 1)))
        if key in seen:
            problems.append(
                Problem(
                    (index, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                )
            )
        seen.add(key)
        problems.extend(_command_problems((index,), command, depth=0))
        if _command_text_length(command) > COMMAND_TOTAL:
            problems.append(
                Problem(
                    (index,), "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (8000)"
                )
            )
        permissions = command.get("default_member_permissions")
        if permissions is not None and not str(permissions).isdigit():
            problems.append(
                Problem(
                    (index, "default_member_permissions"),
                    "NUMBER_TYPE_COERCE",
                    "Not a valid permission set.",
                )
            )
    return problems


def _command_problems(
    path: tuple[str | int, ...], node: Mapping[str, Any], *, depth: int
) -> Iterator[Problem]:
    name = node.get("name")
    if not isinstance(name, str) or not _NAME.match(name) or name != name.lower():
        yield Problem(
            (*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
        )
    is_chat_input = int(node.get("type", 1)) in {1, SUB_COMMAND, SUB_COMMAND_GROUP} or depth > 0
    description = node.get("description")
    if is_chat_input and (
        not isinstance(description, str) or not 1 <= len(description) <= COMMAND_DESCRIPTION
    ):
        yield Problem(
            (*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    options = node.get("options") or []
    if len(options) > OPTIONS:
        yield Problem((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names = [option.get("name") for option in options]
    if len(names) != len(set(names)):
        yield Problem(
            (*path, "options"),
            "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME",
            "Option names must be unique",
        )
    kinds = {int(option.get("type", 0)) for option in options}
    if kinds & {SUB_COMMAND, SUB_COMMAND_GROUP} and kinds - {SUB_COMMAND, SUB_COMMAND_GROUP}:
        yield Problem(
            (*path, "options"),
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Subcommands cannot be mixed with options",
        )
    required_seen_optional = False
    for index, option in enumerate(options):
        option_path = (*path, "options", index)
        kind = int(option.get("type", 0))
        if kind == SUB_COMMAND_GROUP and depth > 0:
            yield Problem(
                option_path,
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Groups can only be nested once",
            )
        if kind in {SUB_COMMAND, SUB_COMMAND_GROUP}:
            yield from _command_problems(option_path, option, depth=depth + 1)
            continue
        yield from _command_problems(option_path, {**option, "options": []}, depth=depth + 1)
        if option.get("required"):
            if required_seen_optional:
                yield Problem(
                    option_path,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            required_seen_optional = True
        if option.get("autocomplete") and option.get("choices"):
            yield Problem(
                option_path,
                "APPLICATION_COMMAND_OPTIONS_AUTOCOMPLETE_INVALID",
                "Autocomplete cannot be set with choices",
            )
        if len(option.get("choices") or []) > CHOICES:
            yield Problem(
                (*option_path, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        for bound in ("min_length", "max_length"):
            value = option.get(bound)
            if value is not None and not 0 <= int(value) <= STRING_LENGTH_MAX:
                yield Problem(
                    (*option_path, bound), "NUMBER_TYPE_MAX", "Must be between 0 and 6000."
                )


def _command_text_length(node: Mapping[str, Any]) -> int:
    total = len(str(node.get("name", ""))) + len(str(node.get("description", "")))
    for choice in node.get("choices") or []:
        total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
    return total + sum(_command_text_length(option) for option in node.get("options") or [])


# -- rate limits ---------------------------------------------------------------------------
#
# Discord documents the shape of its rate limits, not every number: a global limit of 50
# requests per second per bot token (interaction endpoints exempt), and per-route buckets
# keyed by the top-level resource (channel, guild, webhook), announced in X-RateLimit-*
# headers on every response. Create Message answers with a bucket of 5 per 5 seconds per
# channel, which is what these defaults model. Time is passed in, in seconds on the fake's
# clock; nothing here reads a clock.

GLOBAL_PER_SECOND = 50
MESSAGE_BUCKET_LIMIT = 5
MESSAGE_BUCKET_RESET = 5.0
GLOBAL, USER = "global", "user"
_MESSAGE_CREATE = re.compile(r"/channels/(?P<channel>\d+)/messages")


@dataclass(frozen=True, slots=True)
class BucketRule:
    """A per-route limit: ``limit`` requests per ``reset`` seconds for each top-level resource."""

    bucket: str  # the X-RateLimit-Bucket hash Discord sends (the same for every channel)
    limit: int
    reset: float


MESSAGE_CREATE = BucketRule("fake-message-create", MESSAGE_BUCKET_LIMIT, MESSAGE_BUCKET_RESET)


@dataclass(frozen=True, slots=True)
class BucketState:
    """What the X-RateLimit-* headers of one response say about its bucket."""

    rule: BucketRule
    remaining: int
    reset_after: float


@dataclass(frozen=True, slots=True)
class RateLimited:
    """A request refused with a 429: which limit, and how long until it may be tried again."""

    scope: str  # "global" or "user"
    retry_after: float
    bucket: BucketState | None = None


@dataclass
class _Window:
    resets_at: float
    used: int = 0


def under_global_limit(path: str) -> bool:
    """Every route but the interaction endpoints (callbacks and their webhook followups)."""
    return not path.startswith(("/interactions/", "/webhooks/"))


def route_bucket(
    method: str, path: str, message_create: BucketRule = MESSAGE_CREATE
) -> tuple[BucketRule, str] | None:
    """The rule and top-level resource of a bucketed route (Create Message, per channel)."""
    match = _MESSAGE_CREATE.fullmatch(path)
    if method == "POST" and match:
        return message_create, match["channel"]
    return None


class RateLimiter:
    """Discord's global limit (a sliding second) and per-route buckets (fixed windows that
    start at a bucket's first request and reset ``rule.reset`` seconds later).

    A refused request uses up nothing; ``admit`` either counts the request against both
    limits or says which one refused it.
    """

    def __init__(self, *, global_per_second: int = GLOBAL_PER_SECOND) -> None:
        self.global_per_second = global_per_second
        self._recent: deque[float] = deque()
        self._windows: dict[tuple[str, str], _Window] = {}

    def admit(
        self,
        *,
        now: float,
        counts_globally: bool,
        bucket: tuple[BucketRule, str] | None,
    ) -> BucketState | RateLimited | None:
        """The bucket's state after this request (None for an unbucketed route), or the 429."""
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        window: _Window | None = None
        state: BucketState | None = None
        if bucket is not None:
            rule, resource = bucket
            window = self._windows.get((rule.bucket, resource))
            if window is None or now >= window.resets_at:
                window = self._windows[(rule.bucket, resource)] = _Window(now + rule.reset)
            state = BucketState(rule, rule.limit - window.used, window.resets_at - now)
        if counts_globally and len(self._recent) >= self.global_per_second:
            return RateLimited(GLOBAL, self._recent[0] + 1.0 - now)
        if window is not None and state is not None:
            if window.used >= state.rule.limit:
                return RateLimited(USER, state.reset_after, state)
            window.used += 1
            state = BucketState(state.rule, state.remaining - 1, state.reset_after)
        if counts_globally:
            self._recent.append(now)
        return state
