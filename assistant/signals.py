"""Explicit signal detection: what in a scenario pushes towards stepping in or back."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from assistant.domain import Verdict

__all__ = ["DENIAL", "NEGATION", "SIGNAL_NAMES", "SIGNAL_RULES", "Signal", "detect_signals"]

Direction = Verdict


@dataclass(frozen=True)
class Signal:
    """One reading of the scenario, with the scenario's own words as evidence."""

    name: str
    direction: Direction
    evidence: str
    weight: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        """The advice-object shape (weight stays internal)."""
        data = asdict(self)
        data.pop("weight")
        return data


# (signal name, direction, weight, pattern). Patterns look for situations, not keywords
# alone: "crisis" counts, but so do "right now", "customers can't", "is being sent".
_RULES: list[tuple[str, Direction, float, str]] = [
    # urgency or harm happening now
    (
        "urgency",
        "step_in",
        2.0,
        r"\b(right now|as we speak|at this moment|currently (down|failing|leaking|losing)|"
        r"is (down|on fire|leaking|crashing|failing)|are (down|failing|locked out)|outage|"
        r"(customers|patients|users|clients) (can't|cannot|are unable|are being)|"
        r"being (sent|emailed|charged|leaked|exposed|deleted)|still (going out|going on|happening|"
        r"running|live|leaking)|(is|are) (sending|leaking|exposing|deleting|overcharging)|"
        r"emergency|crisis|in the next (hour|"
        r"\d+ minutes)|within the hour|losing (money|data|customers)|escalating fast|"
        r"spiral(l)?ing|meltdown|panic(king)? (on|in) the (floor|ward|call))\b",
    ),
    (
        "urgency",
        "step_back",
        0.7,
        r"\b(no rush|not urgent|plenty of time|next quarter|over the coming (weeks|months)|"
        r"weeks? (away|ahead)|no deadline|"
        # "whenever" as a choice of time, not a condition ("whenever the burner's lit").
        r"whenever(?=\s*(?:[.,;:!?)\"'”]|$)|\s+\w+\s+(?:likes?|chooses?|wants?|wish(?:es)?|"
        r"suits?|works?|can|(?:is|are) ready)\b|\s+\w+(?:'s|'re) ready\b|"
        r"\s+(?:suits|works|convenient)\b))\b",
    ),
    # stakes and reversibility
    (
        "stakes",
        "step_in",
        1.5,
        r"\b(irreversible|can't be undone|cannot be undone|no way back|permanent(ly)?|"
        r"(can't|cannot|won't be able to) (exit|get out of|back out of|reverse|undo|"
        r"roll (it )?back)|"
        r"locked in for|no rollback|binding for|"
        # irreversibility in everyday words
        r"for good|no going back|no redoing|no second (chance|go|attempt)|"
        r"only one (chance|shot|go)|"
        r"(can't|cannot|couldn't|won't) be (re-?run|redone|recalled|unsent|taken back|reversed|"
        r"put right)|(can't|cannot|won't be able to) (take it back|unsend|recall it|redo it|"
        r"start again)|once (it's|it is|they're|they are|the \w+ (is|are)) (poured|sent|signed|"
        r"published|posted|filed|out|live|in|gone|cut|demolished|deleted|announced)|"
        r"sign(ing|s)? (the|a) contract|bet the company|"
        r"(can't|cannot|won't be able to|couldn't) (really|easily|ever|actually|just|simply) "
        r"(exit|get out of|back out of|reverse|undo|roll (it )?back|take it back|redo it|"
        r"start again)|(hard|impossible|no way) to (undo|reverse|take back|put back|unpick|"
        r"claw back)|not something (you|we|they) can (undo|reverse|take back|put back)|"
        r"(becomes?|is|are) (legally )?binding|(decisions?|calls?|choices?) (is|are) final|"
        r"(largest|biggest) (client|customer|account|deal)|million|regulator|"
        r"board (meeting|presentation)|lawsuit|press|media)\b",
    ),
    (
        "stakes",
        "balanced",
        1.0,
        r"\b(first time|high[- ]visibility|highly visible|in front of (the )?(board|ceo|"
        r"executives|leadership|investors|the client)|ceo|executive team|key (client|account)|"
        r"big launch|launch)\b",
    ),
    (
        "stakes",
        "step_back",
        1.2,
        r"\b(routine|low[- ]stakes|easily (reversed|fixed|undone)|reversible|can (always )?"
        r"(roll back|undo|revert|fix it later)|small (experiment|pilot|test)|internal only|"
        r"minor|cosmetic|font|colou?r scheme|naming|formatting|"
        r"worst case[^.]{0,40}(lose|waste) (a|an|one|some) (day|afternoon|week|hour))\b",
    ),
    # the owner's competence
    (
        "competence",
        "step_back",
        1.5,
        r"\b(experienced|senior|veteran|capable|competent|skilled|expert|"
        r"(has|have) done (this|it) (before|many times|dozens)|knows? (this|it|the \w+) "
        r"(inside out|better than me|well)|track record|trust (her|him|them) (completely|fully)|"
        r"\d+ years (of experience|in the role|on the team)|"
        # has done the same thing before
        r"(ran|led|handled|chaired|negotiated|managed|delivered) (our|the|his|her|their) "
        r"(last|previous) (two|three|four|few|several|\d+))\b",
    ),
    (
        "competence",
        "step_in",
        1.5,
        r"\b(new hire|just joined|first week|first month|brand new|intern|junior|"
        r"never (done|handled|led|run) (this|one|a)|no experience|out of (her|his|their) depth|"
        r"(has|have|had) never \w+ed (a|an|one|this|that|anything like)|"
        r"(her|his|their) first (ever )?(negotiation|hearing|contract|dismissal|audit|launch|"
        r"migration|board|inspection)|"
        r"in over (her|his|their) head|beyond (her|his|their|the team's) (skills?|experience|"
        r"authority)|doesn't know how|don't know how)\b",
    ),
    # the owner's confidence and commitment
    (
        "confidence",
        "balanced",
        1.0,
        r"\b(nervous|anxious|unsure|hesitant|doubts? (herself|himself|themselves)|"
        r"lacks confidence|worried (she|he|they)|imposter|second-guess)\b",
    ),
    (
        "confidence",
        "step_back",
        0.8,
        r"\b(confident|keen|eager|motivated|excited|volunteered|"
        r"wants? to (lead|own|prove|try))\b",
    ),
    # who owns the decision
    (
        "ownership",
        "step_back",
        1.2,
        r"\b((her|his|their|the team's) (call|decision|project|area|domain)|"
        r"(she|he|they) owns?|owner of|team (owns|decides)|within (her|his|their) remit|"
        r"delegated|empowered to)\b",
    ),
    (
        "ownership",
        "step_in",
        1.2,
        r"\b(my (call|decision|sign-off)|only I can|needs? my (approval|sign-off|authority)|"
        r"above (her|his|their) (pay grade|authority)|across (departments|teams)|"
        r"no one (owns|is in charge)|nobody owns)\b",
    ),
    # a decision beyond the team: someone above or outside it has to approve it
    (
        "authority",
        "step_in",
        1.5,
        r"(?<!n't )(?<!not )\b((needs?|requires?|needing|requiring) (\w+('s|’s)? ){0,4}"
        r"(approval|sign-?off|permission|authori[sz]ation)|"
        r"only (the|a|an|our|their|its) ([\w'’-]+ ){1,4}can (approve|authori[sz]e|sign|change)|"
        r"above (her|his|their|its|the team's) (spend(ing)? |budget |sign-off )?limit|"
        # a decision a named body above the team sets, or a limit it delegated
        r"(set|decided|owned|controlled|fixed) by (the|our|their|its) ([\w'’-]+ ){0,3}"
        r"(board|committee|council|panel|trust|regulator|ministry|head office|governors|"
        r"trustees|executive|directors?)|"
        r"(over|above|beyond|exceeds?) (her|his|their|its|the team's) (delegated |spend(ing)? |"
        r"sign-off |approval )?(limit|authority)|"
        r"goes? through (the|our) ([\w'’-]+ ){0,3}(board|committee|council|panel))\b",
    ),
    # safety, legal, ethical or dignity issues
    (
        "integrity",
        "step_in",
        3.0,
        # safety
        r"\b(unsafe|safety (check|rule|procedure|harness|guard|inspection|risk|issue|concern)s?|"
        r"injur(y|ed|ies)|hazard\w*|harness|scaffold\w*|lockout|ppe|fire (exit|door|alarm)s?|"
        r"concussion|head injury|collapsed|fainted|overdose|"
        r"(wrong|ten times the|double the|usual) dose|allerg\w+|contaminat\w*|vomiting|"
        r"food poisoning|gas leak|asbestos|chemical spill|inspection is (overdue|\w+ overdue)|"
        r"(overdue|expired) (inspection|certification|licen[cs]e)|"
        # legal and privacy
        r"illegal|unlawful|legal (position|risk|advice|exposure)|breach\w*|gdpr|hipaa|"
        r"without (their |users' |customers' )?consent|"
        r"personal data|confidential|data protection|insider|"
        r"regulator\w*|non-?compliant|"
        # ethics and fraud
        # "the fraud team", "a fraud model": a function named after fraud is not fraud
        r"fraud\w*(?! (teams?|models?|analytics|analysts?|services?|detection|prevention|"
        r"tooling|systems?|platforms?|engines?|screening|department|unit|squad|api)\b)|"
        r"falsif\w*|backdat\w*|cook(ing)? the books|kickback|brib\w*|forg(ed|ing)|"
        r"conflict of interest|embezzl\w*|misappropriat\w*|steal\w*|theft|"
        r"lie to|lying to|misleading|mislead|cover(ing)? (it )?up|hid(e|ing) (the|a|an) "
        r"(defect|error|incident|mistake)|"
        # dignity
        r"harass\w*|bull(y|ies|ying|ied)|discriminat\w*|racist|sexist|homophob\w*|"
        r"transphob\w*|slur|humiliat\w*|demean\w*|mock(ed|ing)|shout(s|ed|ing)? at|"
        r"scream(s|ed|ing)? at|retaliat\w*|"
        r"threat(en(ed|ing|s)?)?|abus(e|ive|ed)|inappropriate (touch\w*|comment|joke)s?)\b",
    ),
    # a request for help
    (
        "help_request",
        "step_in",
        1.5,
        r"\b((asked|begged|pleaded with) me (for help|to help|to step in|to take over|to join|"
        r"to pair)|(messaged|emailed|called|texted) me asking|asked me what I can do|"
        r"(after|despite) (trying|several attempts|two attempts|weeks of)|"
        r"spent (two|three|four|several|\d+) (days|hours|weeks)|"
        # "exhausted" as in every option, not as in tired ("too exhausted to check doses")
        r"tried everything|has tried|have tried|stuck for (days|weeks)|"
        r"(has|have|had|'ve|’ve) (genuinely |now |already |really )?exhausted|"
        r"exhausted (his|her|their|its|our|every|all|the)\b|"
        r"(attempts|options|workarounds|steps|channels|ideas) (are|were|now) exhausted|"
        r"can't (crack|solve|fix) it)\b",
    ),
    (
        "help_request",
        "step_back",
        1.2,
        r"\b(wants? me to (just )?(do|handle|write|fix|decide|make)|"
        r"hasn't (tried|looked|attempted)|without trying|before (even )?trying|"
        r"keeps? (bringing|asking) me|asks? me to decide every|monkey)\b",
    ),
    # a learning opportunity
    (
        "learning",
        "step_back",
        1.0,
        r"\b(growth|stretch|learn(ing)? (opportunity|experience)|develop(ment)?|"
        r"to grow|career|promotion|first chance to lead|ready for more|mistake (she|he|they) "
        r"can (learn|recover))\b",
    ),
    (
        "learning",
        "balanced",
        0.8,
        r"\b(teach(ing)? moment|show (her|him|them) how|model (it|how)|"
        r"shadow)\b",
    ),
    # early warning signs that are not yet a crisis
    (
        "warning_signs",
        "balanced",
        1.2,
        r"\b(slipp(ing|ed)|behind schedule|tension|friction|starting to|signs? of|"
        r"missed (a|one|two) (deadline|check-in|milestone)s?|"
        r"quieter than usual|morale (is )?(dipping|low)|drift(ing)?|creeping)\b",
    ),
]

SIGNAL_RULES = [
    (name, direction, weight, re.compile(pattern, re.I))
    for name, direction, weight, pattern in _RULES
]

SIGNAL_NAMES = tuple(dict.fromkeys(name for name, *_ in _RULES))


# A clause that opens with its verb lost its subject to an appositive: "Gareth, who runs the
# crew, says ..." is quoted from "Gareth", not from "says".
_OPENS_WITH_VERB = re.compile(
    r"\s*(is|are|was|were|has|have|had|says|said|tells|told|keeps|kept|wants|wanted|will|would|"
    r"can|could|should|does|did|seems|looks|thinks|asks|asked|insists|claims|refuses|isn't|"
    r"hasn't|doesn't|can't|didn't|wasn't|won't|[a-z]+ed|[a-z]{3,}ing)\b"
)
# An appositive ("Marcus, our senior groundskeeper, has been ...") is quoted with the sentence
# it sits in, up to the end of the clause after it.
_APPOSITIVE_OPENING = re.compile(r"\s*(our|my|the|a|an|one of|who|whose|which)\b", re.I)
_QUOTE_WITH_SUBJECT = 160  # characters: longer, and the clause alone is quoted


def _evidence(text: str, match: re.Match[str]) -> str:
    """The clause around a match, verbatim from the scenario."""
    start = max(text.rfind(sep, 0, match.start()) for sep in (".", "!", "?", ";", ",", "\n"))
    end_candidates = [text.find(sep, match.end()) for sep in (".", "!", "?", ";", ",", "\n")]
    end = min([e for e in end_candidates if e != -1], default=len(text))
    colon = text.find(": ", match.end(), end)
    if colon != -1 and len(text[colon:end].split()) <= 5:
        end = colon  # "three ways to fix it: new scripts" is cut where the list begins
    if (
        start >= 0
        and text[start] == ","
        and end < len(text)
        and text[end] == ","
        and _APPOSITIVE_OPENING.match(text, start + 1)
        and _OPENS_WITH_VERB.match(text, end + 1)
    ):
        after = [text.find(sep, end + 1) for sep in (".", "!", "?", ";", ",", "\n")]
        sentence = max(text.rfind(sep, 0, start) for sep in (".", "!", "?", ";", "\n"))
        further = min([e for e in after if e != -1], default=len(text))
        if further - sentence <= _QUOTE_WITH_SUBJECT:
            start, end = sentence, further
    elif start >= 0 and text[start] == "," and _OPENS_WITH_VERB.match(text, start + 1):
        sentence = max(text.rfind(sep, 0, start) for sep in (".", "!", "?", ";", "\n"))
        if end - sentence <= _QUOTE_WITH_SUBJECT:
            start = sentence
    opened = text.rfind("(", start + 1, end)
    if opened != -1 and text.find(")", opened, end) == -1:
        # An aside cut off by a comma inside it: "senior tech (great attitude, 8 months in)"
        if match.end() <= opened:
            end = opened
        else:
            start = opened
    clause = text[start + 1 : end].strip().lstrip("-*• ").strip()
    if len(clause) > 160:
        left = max(0, match.start() - 60)
        right = min(len(text), match.end() + 60)
        if left > 0 and text.find(" ", left) != -1:
            left = text.find(" ", left) + 1  # whole words only
        if right < len(text) and text.rfind(" ", match.end(), right) > match.end():
            right = text.rfind(" ", match.end(), right)
        clause = text[left:right].strip()
    return clause


# A cue just after a negation is not said: "not ready", "never done one", and with an
# auxiliary, "she hasn't asked me for help" (which read as a request for help after trying).
_DENIED = r"not|never|(?:has|have|had|did|does|do|wo|would|could|should|is|are|was|were)n['’]?t"
NEGATION = re.compile(rf"\b(no|nothing|without|{_DENIED})\s+(\w+\s+){{0,2}}$", re.I)
# A verb said not to happen ("hasn't asked", "never tried"); unlike NEGATION, not "without a
# helmet" or "no gloves", which name the very hazard.
DENIAL = re.compile(rf"\b({_DENIED})\s+(\w+\s+){{0,2}}$", re.I)


_LEADERS_OWN = re.compile(
    r"\b(I'm|I am|I was|I feel|I get|I got|makes me|made me|making me)"
    r"( (a bit|quite|really|pretty|so|very|a little|getting|feeling))*\s*$",
    re.I,
)


def detect_signals(scenario: str) -> list[Signal]:
    """Every rule that fires, strongest first, at most one per (name, direction)."""
    found: dict[tuple[str, str], Signal] = {}
    for name, direction, weight, pattern in SIGNAL_RULES:
        for match in pattern.finditer(scenario):
            before = scenario[max(0, match.start() - 30) : match.start()]
            if NEGATION.search(before):
                continue
            if (name, direction) == ("confidence", "balanced") and _LEADERS_OWN.search(before):
                continue  # "I'm nervous" is the leader's feeling, not the owner's readiness
            key = (name, direction)
            if key not in found:
                found[key] = Signal(name, direction, _evidence(scenario, match), weight)
            break
    return sorted(found.values(), key=lambda s: -s.weight)
