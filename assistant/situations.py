"""What kind of situation a scenario describes, read from everyday words, with evidence.

These cues choose and explain playbook moves; they never decide the verdict. Each list is
general vocabulary for a kind of situation (what is physically happening, where data or
money goes), not phrasings taken from any evaluation item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.signals import DENIAL

__all__ = ["CUE_PATTERNS", "KIND_MEANING", "SituationCue", "detect_kinds", "leader_intro"]

_CUES: dict[str, str] = {
    "wellbeing": (
        r"exhaust\w*|worn out|burn(ed|t)[- ]out|asleep|nodd(ed|ing) off|dozing|no sleep|"
        # "off sick", "sick leave": someone absent, not someone at risk here
        r"hasn't slept|not sleeping|(?<!off )(?<!on )sick(?! (leave|note|day|pay))|vomit\w*|"
        r"threw up|faint\w*|collaps\w*|dizzy|dazed|"
        r"concuss\w*|bleeding|blood|burn(ed|t|s)?\b|broke (his|her|their) \w+|in pain|"
        r"chest pain|can't breathe|crying|in tears|panic\w*|breakdown|distress\w*|"
        r"self-harm|hurt (himself|herself|themselves)|kill (himself|herself|themselves)|"
        r"suicid\w*|no point|giving (his|her|their) things away|drinking|overdose|pills|"
        r"grief|griev\w*|bereave\w*|not coping|can't cope|pregnan\w*|heat ?stroke|"
        r"twelve-hour|12-hour|double shifts?|\d+ days (in a row|straight)|unwell|(?<!off )ill\b|"
        r"temperature|fever|allerg\w*|seizure|diabet\w*"
    ),
    "safety": (
        r"harness\w*|guard(s|rail)?\b|scaffold\w*|ladder|forklift|crane|hoist|lifting|"
        r"machine\w*|conveyor|chemical\w*|bleach|fumes?|gas\b|fire exit|fire door|"
        r"extinguisher|ppe|goggles|helmet|hard hat|trench|roof|edge|loading dock|lorry|"
        r"truck|vehicle|speeding|at the wheel|driving|wiring|live circuit|electric\w*|"
        r"asbestos|lockout|smoke alarm|carbon monoxide|near miss|sharps|needle|"
        r"temperature log|fridge|undercooked|raw chicken|hygiene|slippery|spill"
    ),
    "data_incident": (
        r"data\b|personal details|records?\b|spreadsheet|database|mailing list|"
        r"password\w*|login\w*|credentials|access\b|leak\w*|exposed|public link|"
        r"addresses|phone numbers|medical notes|salar(y|ies)|passport|bank details|"
        r"card details|hack\w*|phishing|laptop|usb|attachment|cc'?d|reply[- ]all|"
        r"shared drive|folder|download\w*"
    ),
    "ethics": (
        r"expenses?|claim(ed|s)?\b|invoice\w*|kickback|gift\w*|cash\b|petty cash|funds|"
        r"backdat\w*|falsif\w*|fake\w*|fabricat\w*|sign(ed)? off (his|her|their) own|"
        r"own (claim|approval|expenses)|brother-in-law|cousin|friend's (company|firm)|"
        r"relative|conflict of interest|bid\w*|tender|discount|off the books|"
        r"misreport\w*|inflat\w*|lie\b|lying|cover(ed|ing)? up|hid(e|ing|den)|"
        r"shred\w*|delete\w* (the|old) (emails|records|files)"
    ),
    "dignity": (
        r"jok(e|es|ing)\b|mock\w*|laugh(ed|ing) at|nickname|called (her|him|them) \w+|"
        r"sweetheart|love\b|touch\w*|hand on|shout\w*|yell\w*|scream\w*|swore|belittl\w*|"
        r"humiliat\w*|in front of (everyone|the team|colleagues)|excluded|left out|"
        r"wheelchair|disab\w*|accent|religio\w*|pray\w*|headscarf|skin|race|racial|"
        r"gender|gay|trans\b|pregnan\w*|age\b|too old|menopaus\w*|ridicul\w*|"
        r"pile[ds]? on|emoji|meme|group chat"
    ),
    "legal": (
        r"contract\w*|lawyer|solicitor|legal|court|tribunal|regulator\w*|licen[cs]e\w*|"
        r"compliance|audit\w*|inspector\w*|litigation|lawsuit|sued|terms|clause|"
        r"visa|right to work|minimum wage|overtime|unpaid|underage|minors?\b|permit\w*|"
        r"notif(y|ication)|deadline for filing|statutory"
    ),
    "authority": (
        r"budget|sign-?off|approv\w*|head office|the board|director|vp\b|ceo|above (my|our|"
        r"her|his|their)|only .{0,20} can (approve|decide|sign)|escalat\w*|headcount|"
        r"another department|other department|procurement|vendor|supplier|landlord|council"
    ),
    "cross_team": (
        r"(two|both) teams|between (the )?\w+ and \w+|department\w*|deadlock\w*|stand-?off|"
        r"won't budge|neither (side|team|head)|blam(e|ing) each other|turf|"
        r"(sales|marketing|legal|finance|engineering|ops|operations|it) and "
        r"(sales|marketing|legal|finance|engineering|ops|operations|it)"
    ),
    "help_request": (
        r"asked (me )?for help|asking (me )?(for help|what I can do)|asked me to (help|pair|"
        r"join)|tried (everything|\w+ times)|spent (\w+ )?(days|hours|weeks)|ruled out|"
        r"no luck|stuck\b|can't (crack|solve|fix)|messaged me asking"
    ),
    "reflex_delegation": (
        r"wants me to (just )?(do|fix|decide|write|handle)|asks me (to decide|every)|"
        r"brings me every|keeps (bringing|asking) me|hasn't (tried|looked)|without trying|"
        r"before (even )?trying|for me to approve"
    ),
    "first_timer": (
        r"first time|first (week|month|day)|never (done|led|run|handled|negotiated)|"
        r"new (hire|starter|manager|lead|supervisor|to the role)|just (joined|started|"
        r"promoted)|newly (promoted|qualified|appointed)|intern|trainee|apprentice|graduate"
    ),
    "irreversible": (
        r"can't be undone|cannot be undone|irreversible|permanent\w*|sign\w* the|"
        r"dismiss\w*|fir(e|ing)\b|redundan\w*|terminat\w*|public statement|press release|"
        r"announce\w*|filing|submit\w*|wire|transfer\w*|demolish\w*|destroy\w*"
    ),
    "capable_owner": (
        r"experienced|senior|veteran|seasoned|capable|reliable|trust(ed)?\b|track record|"
        r"done (this|it) (before|many times)|knows? (it|this) (well|inside out)|years\b|"
        r"best\b|strongest|star\b|excellent|great at"
    ),
    "visible_moment": (
        r"board\b|ceo|executive\w*|investor\w*|all-hands|conference|keynote|pitch\w*|"
        r"big client|biggest client|press|tv|radio|interview\w*|present\w*|regulator|"
        r"audience|public|launch"
    ),
    "growth": (
        r"stretch|learn\w*|grow\w*|develop\w*|chance to|opportunit\w*|career|promotion|"
        r"ready for more|wants? to (try|lead|prove)"
    ),
    "experiment": (
        r"pilot|trial|experiment\w*|test(ing)? (whether|if|a)|prototype|small (job|test)|"
        r"try (it|a new|out)|for (a|one|two) (week|month|sprint)s?|roll back|revert"
    ),
    "team_decision": (
        r"the team (wants|decided|voted|chose|agreed)|team's (call|decision)|"
        r"(their|its) own (sprint|rota|schedule|process|tools?)|vote\w*|consensus"
    ),
    "warning_signs": (
        r"slipp\w*|behind schedule|missed (a|one|two|the) \w+|quieter|quiet lately|"
        r"a bit off|tension|friction|morale|drift\w*|creeping|starting to|lately|"
        r"recently|more often|up from|went from \d+ to \d+"
    ),
    "performance": (
        r"mistakes?|errors?|sloppy|late (again|every)|missed deadlines|quality (has|is) "
        r"(dropped|slipping)|complaints? about (his|her|their) work|underperform\w*"
    ),
    "conflict": (
        r"argu\w*|feud\w*|fall(en|ing)? out|won't (talk|speak)|refuse to (work|pair)|"
        r"clash\w*|disagree\w*|dispute\w*"
    ),
}
_COMPILED = {kind: re.compile(rf"\b({pattern})", re.I) for kind, pattern in _CUES.items()}

# How a kind is said to the leader when it explains a verdict. Everyday words ("contract",
# "budget", "joke") point to a kind without proving it, hence "may".
KIND_MEANING = {
    "wellbeing": "Someone's health or wellbeing may be at risk",
    "safety": "Someone could get hurt",
    "data_incident": "Data or access may be going where it must not",
    "ethics": "Money, records or honesty may be compromised",
    "dignity": "Someone's dignity may be at stake",
    "legal": "A legal or regulatory duty may be involved",
    "authority": "It may need a decision or power above the team",
    "cross_team": "Teams are stuck against each other",
    "help_request": "They asked for help after trying",
    "reflex_delegation": "The problem is coming to you before it has been tried",
    "first_timer": "It is a first time for the person",
    "irreversible": "What is about to happen is hard to undo",
    "capable_owner": "The owner is capable",
    "visible_moment": "The moment is visible",
    "growth": "There is room for them to grow",
    "experiment": "It is put as a trial or experiment",
    "team_decision": "The decision belongs to the team",
    "warning_signs": "There are early warning signs",
    "performance": "There is a concern about the work",
    "conflict": "People are in conflict",
}


@dataclass(frozen=True)
class SituationCue:
    """A kind of situation the scenario's words point to, with those words."""

    kind: str
    evidence: str
    hits: int


def _clause(text: str, start: int, end: int) -> str:
    left = max(text.rfind(sep, 0, start) for sep in ".!?;\n") + 1
    rights = [text.find(sep, end) for sep in ".!?;\n"]
    right = min([r for r in rights if r != -1], default=len(text))
    clause = text[left:right].strip()
    if len(clause) <= 160:
        return clause
    # A long sentence is cut at the commas or dashes around the words, as a reader would
    # quote it, before a window of words is cut out of it.
    inner_left = max(text.rfind(sep, left, start) for sep in (",", "—", "–", " - ")) + 1
    inner_rights = [text.find(sep, end, right) for sep in (",", "—", "–", " - ")]
    inner_right = min([r for r in inner_rights if r != -1], default=right)
    inner = text[max(inner_left, left) : inner_right].strip()
    if len(inner.split()) >= 4 and len(inner) <= 160:
        return inner
    return _words_around(text, start, end)


def _words_around(text: str, start: int, end: int, reach: int = 60) -> str:
    """About `reach` characters either side of a match, cut at word boundaries."""
    left = max(0, start - reach)
    right = min(len(text), end + reach)
    if left > 0:
        left = text.find(" ", left) + 1 or left
    cut = right < len(text)
    if cut:
        right = text.rfind(" ", end, right) if text.rfind(" ", end, right) > end else right
    # Words cut out of a sentence say so, rather than end as if it ended there.
    return text[left:right].strip() + (" …" if cut else "")


# A request for help is something the owner does: said not to have happened ("she hasn't
# asked me for help"), it is not one. For the other kinds a denial often names the problem
# itself ("has never been invited", "the city hasn't issued the permit").
_ACTS = frozenset({"help_request"})


# How a leader often opens: their own role ("Council team manager.", "I'm finance director.",
# "Partner at an architecture practice.", "Shop manager here."). It says who is asking, not
# what is happening: the "director" or "council" in it is no power above the team.
_VERBISH = r"(?:has|have|had|is|was|are|were|been|will|wants?|says?|said|told)\b"
_INTRO = re.compile(
    r"^\s*(?!(?:our|my|his|her|their)\b)(?:I'm |I am )?(?:an? |the )?(?:(?!"
    + _VERBISH
    + r")[\w'&/-]+ ){0,5}?"
    r"(?:manager|lead|leader|head|director|supervisor|partner|owner|coordinator|officer|chief|"
    r"captain|foreman|superintendent|principal|sergeant|chef|editor|matron|teacher|coach|"
    r"founder|ceo|cto|vp|administrator|controller|engineer|consultant)\b"
    r"(?: (?:at|of|in|for|on)(?: (?!" + _VERBISH + r")[\w'&/-]+){1,7})?(?: here)?\s*[.!](?=\s)",
    re.I,
)


# Everything that decides which cues a text shows (a move ranker fitted under other cues is
# stale).
CUE_PATTERNS = {**_COMPILED, "leader_intro": _INTRO}


def leader_intro(scenario: str) -> int:
    """Where the leader's opening words about their own role end (0 when there are none)."""
    intro = _INTRO.match(scenario)
    return intro.end() if intro and len(intro.group(0).split()) <= 9 else 0


def detect_kinds(scenario: str) -> list[SituationCue]:
    """Kinds whose everyday words appear, most cues first."""
    found = []
    after_intro = leader_intro(scenario)
    for kind, pattern in _COMPILED.items():
        matches = [
            m
            for m in pattern.finditer(scenario, after_intro)
            if kind not in _ACTS or not DENIAL.search(scenario[max(0, m.start() - 30) : m.start()])
        ]
        if matches:
            first = matches[0]
            found.append(
                SituationCue(kind, _clause(scenario, first.start(), first.end()), len(matches))
            )
    return sorted(found, key=lambda c: -c.hits)
