"""Text demo data: review sentiment (text_classification) and entity mentions (text_spans).

Sentences come from templates with varied vocabulary, filler words, typos and a share of hard
cases (a concession that names the opposite sentiment, entity-free sentences with capitalised
days and months), so a bag-of-words model learns them well but not perfectly.
"""
import re

from platform_core.demo.common import DemoItem, Seed, as_rng, distinct, pick

SENTIMENTS = ("positive", "negative", "neutral")

SUBJECTS = (
    "the headphones", "this blender", "the hotel room", "our delivery", "the new phone",
    "the support team", "this jacket", "the restaurant", "the app update", "the train journey",
    "the laptop battery", "the coffee machine", "this backpack", "the rental car", "the course",
    "the printer", "these running shoes", "the dentist", "the cinema seats", "the vacuum cleaner",
)
POSITIVE = (
    "works perfectly", "exceeded my expectations", "is absolutely wonderful",
    "was a delight to use", "feels sturdy and well made", "arrived early and in great shape",
    "made my whole week", "is worth every penny", "is excellent", "was fantastic",
    "keeps impressing me", "is brilliant value", "was friendly and quick", "is superb",
    "left me very happy", "does exactly what I hoped",
)
NEGATIVE = (
    "broke after two days", "was a complete waste of money", "is painfully slow",
    "arrived damaged", "stopped working", "was rude and unhelpful", "feels cheap and flimsy",
    "is the worst I have used", "was a huge disappointment", "is terrible",
    "keeps crashing", "was awful from start to finish", "is overpriced junk",
    "left me furious", "smells horrible", "never did what it promised",
)
NEUTRAL = (
    "arrived on Tuesday", "comes in three colours", "is about the size of a book",
    "was delivered in a cardboard box", "has a two year warranty", "uses a standard USB cable",
    "is sold in most shops", "was ordered last month", "weighs roughly one kilo",
    "is made of plastic and steel", "was bought for my brother", "has a manual in four languages",
    "needs two batteries", "is the blue model", "was picked up at the counter",
)
# Words that lean one way, used in concessions ("I expected it to be awful, but ...").
LEANING = {"positive": ("great", "amazing", "perfect"), "negative": ("awful", "useless", "bad")}
OPENERS = ("", "", "", "Honestly, ", "Well, ", "So ", "To be fair, ", "Update: ", "Overall ")
FILLERS = ("basically", "really", "tbh", "anyway", "lol", "I guess", "you know", "again")
ENDINGS = (".", ".", ".", "!", "!!", "...", " :)")


def _typo(rng, text: str) -> str:
    """Drop one letter from one longer word: the noise real reviews have."""
    words = text.split(" ")
    long_ones = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long_ones:
        return text
    i = pick(rng, long_ones)
    j = int(rng.integers(1, len(words[i]) - 1))
    words[i] = words[i][:j] + words[i][j + 1 :]
    return " ".join(words)


def _sentiment_sentence(rng, label: str) -> str:
    subject = pick(rng, SUBJECTS)
    phrase = pick(rng, {"positive": POSITIVE, "negative": NEGATIVE, "neutral": NEUTRAL}[label])
    roll = rng.random()
    if label != "neutral" and roll < 0.2:
        # Hard case: the concession names the other sentiment; the main clause decides.
        other = "negative" if label == "positive" else "positive"
        body = f"I expected {subject} to be {pick(rng, LEANING[other])}, but it {phrase}"
    elif label != "neutral" and roll < 0.45:
        body = f"{subject} {pick(rng, NEUTRAL)} and {phrase}"
    elif label == "neutral" and roll < 0.3:
        body = f"{subject} {phrase} and {pick(rng, NEUTRAL)}"
    else:
        body = f"{subject} {phrase}"
    if rng.random() < 0.35:
        words = body.split(" ")
        at = int(rng.integers(1, len(words)))
        body = " ".join(words[:at] + [pick(rng, FILLERS)] + words[at:])
    if rng.random() < 0.15:
        body = _typo(rng, body)
    text = pick(rng, OPENERS) + body
    return text[0].upper() + text[1:] + pick(rng, ENDINGS)


def make_text_classification(n: int, seed: Seed) -> list[DemoItem]:
    """Short product and service reviews labelled positive / negative / neutral."""

    def one(rng):
        label = pick(rng, SENTIMENTS)
        return {"text": _sentiment_sentence(rng, label)}, {"labels": [label]}

    return [DemoItem(data=d, result=r) for d, r in distinct(as_rng(seed), one, n)]


FIRST_NAMES = (
    "Alice", "Bruno", "Maria", "Chen", "Fatima", "Lukas", "Priya", "Omar", "Sofia", "Kenji",
    "Amara", "Diego", "Ingrid", "Tomasz", "Noor", "Elena", "Kwame", "Hana", "Mateo", "Aisha",
)
LAST_NAMES = (
    "Smith", "Garcia", "Nakamura", "Okafor", "Novak", "Haddad", "Jensen", "Kowalski", "Rossi",
    "Singh", "Dubois", "Costa", "Mensah", "Ivanova", "Park", "Fischer",
)
ORGANIZATIONS = (
    "Acme Corporation", "Globex", "Initech", "Northwind Traders", "Blue River Bank",
    "Helios Energy", "Umbrella Labs", "Orbit Airlines", "Green Leaf Foods", "Vertex Media",
    "Polaris Health", "Summit Logistics", "Red Maple Studios", "Quantum Dynamics",
)
LOCATIONS = (
    "Paris", "Nairobi", "Osaka", "Lisbon", "Toronto", "Buenos Aires", "Cape Town", "Krakow",
    "Hanoi", "Oslo", "Lima", "New Delhi", "Sydney", "Cairo", "Berlin", "Chicago", "Seoul",
    "Mexico City", "Reykjavik", "Casablanca",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "March", "April", "June", "August", "September", "November", "December")

SPAN_TEMPLATES = (
    "{PER} joined {ORG} in {LOC} last {month}.",
    "{ORG} opened a new office in {LOC} on {day}.",
    "According to {PER}, {ORG} will expand to {LOC} next year.",
    "{PER} met {PER} at the {ORG} headquarters in {LOC}.",
    "On {day}, {PER} flew from {LOC} to {LOC}.",
    "The mayor of {LOC} thanked {ORG} for the donation.",
    "{PER} said the weather in {LOC} was lovely in {month}.",
    "Shares of {ORG} rose after {PER} announced the merger.",
    "{PER} works for {ORG}.",
    "A spokesperson for {ORG} declined to comment.",
    "{PER} and {PER} are moving to {LOC}.",
    "Nothing much happened on {day}, the office was quiet.",
    "In {month} the team reviewed every contract again.",
    "Critics say {ORG} pays too little in {LOC}.",
    "Tickets to {LOC} sold out by {day}, {PER} told reporters.",
)
SLOT_RE = re.compile(r"\{(PER|ORG|LOC|day|month)\}")
TAILS = ("", "", "", " Local news reported it first.", " More details will follow.")


def _person(rng) -> str:
    first = pick(rng, FIRST_NAMES)
    return f"{first} {pick(rng, LAST_NAMES)}" if rng.random() < 0.7 else first


def _fill(rng, slot: str) -> str:
    if slot == "PER":
        return _person(rng)
    if slot == "ORG":
        return pick(rng, ORGANIZATIONS)
    if slot == "LOC":
        return pick(rng, LOCATIONS)
    return pick(rng, DAYS if slot == "day" else MONTHS)


def _span_sentence(rng) -> tuple[str, list[dict]]:
    template = pick(rng, SPAN_TEMPLATES)
    parts, spans, at, cursor = [], [], 0, 0
    for match in SLOT_RE.finditer(template):
        literal = template[cursor : match.start()]
        parts.append(literal)
        at += len(literal)
        value = _fill(rng, match.group(1))
        if match.group(1).isupper():  # PER / ORG / LOC are entities; days and months are not
            spans.append({"start": at, "end": at + len(value), "label": match.group(1)})
        parts.append(value)
        at += len(value)
        cursor = match.end()
    parts.append(template[cursor:] + pick(rng, TAILS))
    return "".join(parts), spans


def make_text_spans(n: int, seed: Seed) -> list[DemoItem]:
    """One or two news-style sentences with PER / ORG / LOC mentions at exact offsets."""

    def one(rng):
        text, spans = _span_sentence(rng)
        if rng.random() < 0.3:
            second, more = _span_sentence(rng)
            shift = len(text) + 1
            text = f"{text} {second}"
            spans += [{**s, "start": s["start"] + shift, "end": s["end"] + shift} for s in more]
        return {"text": text}, {"spans": spans}

    return [DemoItem(data=d, result=r) for d, r in distinct(as_rng(seed), one, n)]
