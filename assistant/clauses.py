"""Whole clauses of a scenario: what can be said back to the leader as the fact that decided.

The signals, the harm net and the verdict model each point at a piece of the scenario, cut
where their patterns or the sentence splitter cut it. Said back in a headline, a piece cut at
a comma reads as no sentence at all ("Step in now: your junior dev." for "Our junior dev,
Marco, realised this morning that ..."; "but stay close: is presenting your revised behaviour
policy ..."), and a sentence in which leaders only say who they are ("I'm the contracts
director.") is no fact about the situation.
"""

from __future__ import annotations

import re

__all__ = ["introduces_the_leader", "voices_the_leaders_urge", "whole_clause", "without_lead_in"]

# Leaders saying who they are or what they run, and nothing more.
_SELF_INTRODUCTION = re.compile(
    r"^\W*(?:(?:so|hi|hello|hey|ok|okay|well)\W+)*(?:"
    r"I(?:['’]m| am)\s+(?:(?:a|an|the)\s+|head\b|chief\b|director\b|GM\b|CEO\b|MD\b|"
    r"principal\b|chair\b|owner\b|manager\b|lead\b|partner\b|founder\b|co-founder\b)|"
    r"I\s+(?:manage|run|lead|chair|own|head|oversee|supervise|coordinate|co-run|co-own)\s+"
    r"(?:a|an|the|our|my|two|three|four|five|six|\d+)\b|"
    r"We(?:['’]re| are)\s+(?:a|an)\s+"
    r")[^,;]*[.!]?\s*$",
    re.I,
)
# A piece that starts with its verb has lost its subject to the cut before it.
_VERB_FIRST = re.compile(
    r"^(?:(?:is|are|was|were|has|have|had|will|would|can|could|should|must|did|does|do|keeps|"
    r"kept|needs|wants|wanted|asked|said|says|told)\b|\d)",
    re.I,
)
# Words that make a piece a clause rather than a name or a noun phrase.
_VERBLIKE = re.compile(
    r"\b(?:is|are|was|were|am|be|been|being|has|have|had|will|would|can|could|should|must|may|"
    r"might|do|does|did|\w+ed|\w+n['’]t)\b|['’](?:s|re|ve|ll|d|m)\s+(?!\w+\s*$)",
    re.I,
)
# Where one clause of a sentence ends and the next begins.
_CLAUSE_BREAK = re.compile(r";\s+|,\s+(?:and|but|so|yet|while|although|though)\s+|\s+but\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”)]*\s+|\n+")
_SHORT = 4  # words: a piece this short with no verb, cut before a comma, is a noun phrase
# A piece with no verb that opens with a preposition is an aside of a clause, whatever its
# length ("Zoe, in her first month as a credit officer, is about to approve ...").
_PREPOSITION_FIRST = re.compile(
    r"^(?:in|on|at|with|without|for|after|before|during|under|over|from|as|despite|like)\b",
    re.I,
)


# Words that only announce what follows ("I should probably add, tom did a dozen of these";
# "only thing is, she's been ..."): said back, they quote the leader's framing, not the fact.
_LEAD_IN = re.compile(
    r"^\W*(?:(?:oh|ah|ok|okay|so|and|also|well|yeah|yes|right|plus|anyway|anyways|hmm|um|erm)"
    r"\W+)*(?:"
    # announcing phrases: only with a comma, colon, dash or "that" after them
    r"(?:(?:i|we)\s+(?:should|must|ought to|need to|forgot to|meant to)\s+(?:probably\s+|"
    r"also\s+|really\s+)?(?:add|mention|say|have said|have mentioned|tell you)|"
    r"(?:i\s+)?forgot to (?:say|mention)|one (?:more|other|last) thing|for context|"
    r"for what it'?s worth|just so you know|worth (?:saying|mentioning))"
    r"\s*(?:[,:\u2013\u2014-]+\s*|\s+that\s+|\.\.\.\s*)|"
    # asides that may run straight on into the fact
    r"(?:(?:the\s+)?only (?:other\s+)?thing is|thing is|by the way|btw|fyi|"
    r"to be (?:fair|honest)|tbh|honestly)"
    r"\s*(?:[,:\u2013\u2014-]+\s*|\.\.\.\s*|\s+(?=\w))|"
    # words that only join the fact to what came before: with a comma, colon or dash after them
    r"(?:also|separately|(?:a\s+)?separate (?:thing|point|issue)|unrelated|on that(?: note)?|"
    r"(?:and\s+)?another thing|while i'?m at it)"
    r"\s*[,:\u2013\u2014-]+\s*"
    r")",
    re.I,
)
_LEAD_IN_LEFT = 4  # words: what remains must still be a statement of its own


def without_lead_in(text: str) -> str:
    """The text without words that only announce it, when enough is left to say back."""
    found = _LEAD_IN.match(text)
    if not found:
        return text
    rest = text[found.end() :]
    return rest if len(rest.split()) >= _LEAD_IN_LEFT else text


# Leaders saying what they themselves feel like doing ("Part of me wants to just pick one",
# "I'm tempted to do it myself"): the pull the coach answers, not a fact about the situation.
_LEADERS_URGE = re.compile(
    r"^\W*(?:(?:so|and|but|honestly|tbh|ok|okay|well|yeah)\W+)*(?:"
    r"(?:my\s+)?(?:first\s+)?(?:instinct|gut)(?:\s+(?:is|says))?\s+(?:to|that)\b|"
    r"i['’]?d\s+(?:much\s+)?(?:rather|love|prefer)\b|"
    r"(?:part of me|i|i['’]?m|i am)\s+"
    r"(?:(?:really|honestly|kind of|half|so|just|a bit|also|still)\s+)*"
    r"(?:wants?|tempted|itching|inclined|dying|keen|leaning|would (?:rather|love|prefer)|"
    r"feel like|could just|keep wanting)\b"
    r")",
    re.I,
)


def voices_the_leaders_urge(text: str) -> bool:
    """Whether a sentence only says what the leader feels like doing."""
    return bool(_LEADERS_URGE.match(text.strip()))


# Leaders opening with their role and no verb ("Executive housekeeper at a resort in Phuket.",
# "Ops lead here."): the head noun, before what it is at or of, names a role.
_ROLE_NOUN = re.compile(
    r"^(?:manager|lead|leader|head|director|supervisor|partner|owner|coordinator|officer|chief|"
    r"captain|foreman|superintendent|principal|sergeant|chef|editor|matron|teacher|coach|"
    r"founder|ceo|cto|cfo|coo|vp|md|gm|administrator|controller|engineer|consultant|nurse|gp|"
    r"clerk|vicar|warden|skipper|pilot|chair|governor|dean|registrar|president|"
    # agent nouns ("housekeeper", "pharmacist", "attendant", "librarian"), not "-ment" or
    # "-dent" ("incident", "equipment")
    r"\w+(?:er|or|ist|ant|(?<![md])ent|ian))$",
    re.I,
)
_ROLE_LINK = {"at", "of", "for", "in", "on", "with"}
# Before the role: a few bare modifiers ("Executive", "Ward 7 charge"), never an article, a
# possessive or a name with a verb ("Ngozi became a team lead at ...", "Maria, our supervisor
# in Seville, came ..."); after it: where, with no clause of its own.
_NOT_A_MODIFIER = {"a", "an", "the", "my", "our", "his", "her", "their", "your", "i", "we"}
_CLAUSE_WORDS = {"who", "that", "which", "to", "and", "but", "because", "since", "when"}
_MODIFIERS = 4
_WHERE_WORDS = 8


def _role_only(sentence: str) -> bool:
    """Whether a sentence is a verbless phrase naming the leader's role, and where at most."""
    text = sentence.strip()
    if text.endswith(("?", "!")) or _VERBLIKE.search(text):
        return False
    words = [w.lower() for w in text.rstrip(".!").split()]
    if words and words[-1] == "here":
        words = words[:-1]
    cut = next((i for i, w in enumerate(words) if w in _ROLE_LINK), len(words))
    role, where = words[:cut], words[cut + 1 :]
    return (
        0 < len(role) <= _MODIFIERS + 1
        and not any(w.endswith(",") or w in _NOT_A_MODIFIER for w in role)
        and bool(_ROLE_NOUN.match(role[-1]))
        and len(where) <= _WHERE_WORDS
        and not any(w.strip(",") in _CLAUSE_WORDS for w in where)
        # a comma may add a region ("in Perth, Scotland"), not a clause ("..., the parents
        # love him")
        and all(len(where) - i - 1 <= 2 for i, w in enumerate(where) if w.endswith(","))
    )


def introduces_the_leader(text: str, scenario: str = "") -> bool:
    """Whether a sentence (or a piece of one) only says who the leader is or what they run:
    "I'm the contracts director."; or, given the scenario, a piece of its opening sentence
    when that sentence names the leader's role without a verb."""
    piece = text.strip().rstrip(" …").rstrip(".!")
    if _SELF_INTRODUCTION.match(text.strip()):
        return True
    if not scenario or not piece:
        return False
    opening = _SENTENCE_END.split(scenario.strip(), maxsplit=1)[0]
    return piece in opening and _role_only(opening)


def _bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around text[start:end], as offsets."""
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def whole_clause(piece: str, scenario: str) -> str:
    """The piece as the scenario wrote it, grown to the clause it was cut from when the cut
    left it without a subject or without a verb; otherwise the piece unchanged."""
    stripped = piece.strip().rstrip(".!?;:,")
    start = scenario.find(stripped)
    if not stripped or start < 0:
        return piece
    end = start + len(stripped)
    first, last = _bounds(scenario, start, end)
    lead = scenario[first:start].rstrip()
    tail = scenario[end:last].lstrip()
    verbless = not _VERBLIKE.search(stripped)
    aside = verbless and bool(_PREPOSITION_FIRST.match(stripped))
    lost_subject = lead.endswith(",") and (bool(_VERB_FIRST.match(stripped)) or aside)
    lost_verb = tail.startswith(",") and verbless and (aside or len(stripped.split()) <= _SHORT)
    if not (lost_subject or lost_verb):
        return piece
    if lost_subject:
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(scenario, first, start)]
        start = breaks[-1] if breaks else first
    if lost_verb:
        after = _CLAUSE_BREAK.search(scenario, end, last)
        end = after.start() if after else last
    return scenario[start:end].strip().rstrip(".!?;:,")
