"""The coaching playbook: authored moves read from `knowledge/playbook/*.md`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.domain import VERDICTS
from assistant.errors import ConfigError

__all__ = ["DEFAULT_PLAYBOOK_DIR", "KINDS", "NEEDS", "Move", "load_playbook"]

DEFAULT_PLAYBOOK_DIR = Path(__file__).resolve().parents[1] / "knowledge" / "playbook"

# The situation kinds a move can be written for; the playbook may use no others.
KINDS = [
    "harm_now",
    "safety",
    "legal",
    "ethics",
    "dignity",
    "wellbeing",
    "data_incident",
    "authority",
    "cross_team",
    "expertise_gap",
    "help_request",
    "reflex_delegation",
    "first_timer",
    "irreversible",
    "capable_owner",
    "visible_moment",
    "growth",
    "experiment",
    "team_decision",
    "warning_signs",
    "performance",
    "conflict",
    "feedback",
    "meeting_prep",
    "hand_back",
    "debrief",
]
_VERDICTS = VERDICTS

_MOVE = re.compile(r"^## +(?P<title>.+?)\s*$(?P<body>.*?)(?=^## |\Z)", re.M | re.S)
_FIELD = re.compile(r"^\*(?P<label>[A-Za-z ]+):\*\s*(?P<value>.+?)\s*$", re.M)
_SLOT = re.compile(r"\{(\w+)\}")
_SLOTS = {"owner", "task"}
NEEDS = ("ongoing", "reached", "handled", "group")


@dataclass(frozen=True)
class Move:
    """One authored coaching move: when it applies, what to do, what to say, what to watch."""

    id: str
    title: str
    verdicts: tuple[str, ...]
    kinds: tuple[str, ...]
    when: str
    do: str
    say: str
    watch: str
    source: str
    examples: tuple[str, ...] = ()
    # Acts this move shares with others ("*Same advice as:*"): moves sharing one ask the
    # leader to do the same thing, so an answer offers at most one of them.
    acts: tuple[str, ...] = ()
    # What the situation must hold for this move to make sense ("*Needs:*"): a harm still
    # "ongoing" (stop the work), that has "reached" someone (tell the people affected) or that
    # someone has already "handled" (thank them, let them lead the review), read by
    # harm_stage.py; or a "group" that owns the decision (back the team's call).
    needs: str = ""
    # A move that records what happened ("*Order:* after") comes after the moves that act:
    # make it safe and tell who must know, then write it down.
    follows: bool = False

    @property
    def stages(self) -> tuple[str, ...]:
        """What the situation must hold, each of them ("ongoing, reached": a person the harm
        has reached, while it still goes on)."""
        return tuple(n for n in self.needs.split(", ") if n)

    def repeats(self, other: Move) -> bool:
        """Whether this move gives the same advice as `other`."""
        return self.id == other.id or bool(set(self.acts) & set(other.acts))

    def matching_texts(self) -> list[str]:
        """The texts a scenario is compared with: the general case and concrete examples."""
        return [f"{self.title}. {self.when}", *self.examples]


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _parse_move(title: str, body: str, source: str) -> Move:
    fields = {m.group("label").strip().lower(): m.group("value") for m in _FIELD.finditer(body)}
    missing = {"applies when", "when", "do", "say", "watch for"} - fields.keys()
    if missing:
        raise ConfigError(
            f"Playbook move '{title}' in {source} lacks {', '.join(sorted(missing))}.",
            "Give every move the five fields: Applies when, When, Do, Say, Watch for.",
        )
    verdict_part, _, kind_part = fields["applies when"].partition("·")
    verdicts = tuple(v.strip() for v in verdict_part.split(",") if v.strip())
    kinds = tuple(k.strip() for k in kind_part.split(",") if k.strip())
    unknown = [v for v in verdicts if v not in _VERDICTS] + [k for k in kinds if k not in KINDS]
    slots = {s for f in ("do", "say", "watch for") for s in _SLOT.findall(fields[f])}
    if unknown or not verdicts or slots - _SLOTS:
        bad = unknown + sorted(slots - _SLOTS)
        raise ConfigError(
            f"Playbook move '{title}' in {source} has unknown labels or slots: {bad or 'none'}.",
            f"Use verdicts from {_VERDICTS}, kinds from playbook.KINDS, slots {{owner}} {{task}}.",
        )
    say = fields["say"].strip().strip('"').strip("\u201c\u201d")
    examples = tuple(e.strip() for e in fields.get("examples", "").split("|") if e.strip())
    acts = tuple(a.strip() for a in fields.get("same advice as", "").split(",") if a.strip())
    needs = ", ".join(n.strip() for n in fields.get("needs", "").split(",") if n.strip())
    if set(needs.split(", ")) - {"", *NEEDS}:
        raise ConfigError(
            f"Playbook move '{title}' in {source} needs '{needs}', which is not a stage.",
            f"Write *Needs:* as one or more of {', '.join(NEEDS)}, or leave the line out.",
        )
    order = fields.get("order", "").strip()
    if order not in ("", "after"):
        raise ConfigError(
            f"Playbook move '{title}' in {source} has order '{order}'.",
            "Write *Order:* after for a move that follows the others, or leave the line out.",
        )
    return Move(
        id=_slug(title),
        title=title.strip(),
        verdicts=verdicts,
        kinds=kinds,
        when=fields["when"],
        do=fields["do"],
        say=say,
        watch=fields["watch for"],
        source=source,
        examples=examples,
        acts=acts,
        needs=needs,
        follows=order == "after",
    )


def load_playbook(folder: Path = DEFAULT_PLAYBOOK_DIR) -> list[Move]:
    """Every move of every `*.md` file in `folder`, in file order; ids are unique."""
    if not folder.is_dir():
        raise ConfigError(
            f"The coaching playbook folder {folder} does not exist.",
            "Point ASSISTANT_PLAYBOOK_DIR at a folder of playbook Markdown files.",
        )
    moves: list[Move] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in _MOVE.finditer(text):
            move = _parse_move(match.group("title"), match.group("body"), path.name)
            if move.id in seen:
                move = Move(**{**move.__dict__, "id": f"{move.id}-{path.stem}"})
            seen.add(move.id)
            moves.append(move)
    acts = [a for m in moves for a in m.acts]
    lone = sorted(a for a in set(acts) if acts.count(a) == 1)
    if lone:
        raise ConfigError(
            f"Playbook acts named by one move only in {folder}: {', '.join(lone)}.",
            "'Same advice as' names an act shared with another move; fix the spelling.",
        )
    if not moves:
        raise ConfigError(
            f"No playbook moves found in {folder}.",
            "Write moves as '## Title' sections with the five fields (see knowledge/playbook).",
        )
    return moves
