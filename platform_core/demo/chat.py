"""Instruction data for LLM fine-tuning: preference pairs and SFT prompts with references.

A good answer is on topic, polite, specific (two or three concrete facts) and complete; a worse
one is short, rude, vague or about another question. The better answer lands on A or B at
random, and a few pairs of two good answers are ties.
"""
from platform_core.demo.common import DemoItem, Seed, as_rng, distinct, pick

# question -> concrete facts a helpful answer would give
TOPICS = (
    ("How do I keep basil alive indoors?", (
        "Put it on a sunny windowsill with at least six hours of light a day.",
        "Water it when the top centimetre of soil feels dry, not on a fixed schedule.",
        "Pinch off flower buds so the plant keeps making leaves.",
        "Use a pot with drainage holes so the roots never sit in water.",
    )),
    ("How can I fall asleep faster?", (
        "Go to bed and get up at the same time every day, weekends included.",
        "Stop looking at screens about an hour before bed.",
        "Keep the bedroom cool, around 18 degrees, and dark.",
        "Avoid coffee and tea after two in the afternoon.",
    )),
    ("What should I pack for a two-day hike?", (
        "Bring two litres of water per person per day and a way to filter more.",
        "Pack a rain jacket and a warm layer even if the forecast is good.",
        "Carry a paper map and a head torch with spare batteries.",
        "Plan light, high-energy food such as nuts, oats and dried fruit.",
    )),
    ("How do I make my laptop battery last longer?", (
        "Lower the screen brightness, which is often the biggest drain.",
        "Close background apps and browser tabs you are not using.",
        "Keep the charge between twenty and eighty percent when you can.",
        "Turn on the operating system's battery saver mode.",
    )),
    ("How do I start learning to run?", (
        "Alternate one minute of running with two minutes of walking for the first weeks.",
        "Run three times a week with a rest day in between.",
        "Increase your weekly distance by no more than about ten percent.",
        "Get shoes fitted at a running shop to avoid sore knees.",
    )),
    ("How do I write a good cover letter?", (
        "Address it to a named person when you can find one.",
        "Open with the role you want and one result you are proud of.",
        "Match two or three of your skills to the job description.",
        "Keep it under one page and end by asking for an interview.",
    )),
    ("How do I remove a coffee stain from a shirt?", (
        "Rinse the stain from the back with cold water as soon as possible.",
        "Rub in a little liquid laundry detergent and leave it for ten minutes.",
        "Wash it at the warmest temperature the label allows.",
        "Check the stain is gone before drying, because heat sets it.",
    )),
    ("How can I save money on groceries?", (
        "Plan the week's meals and shop from a list.",
        "Compare the price per kilo rather than the price per pack.",
        "Buy store brands for staples such as rice, flour and pasta.",
        "Cook larger batches and freeze portions for busy days.",
    )),
    ("How do I back up my photos safely?", (
        "Keep three copies on two kinds of storage, with one copy off site.",
        "Use an external drive for a local copy and a cloud service for the remote one.",
        "Schedule the backup to run automatically every week.",
        "Restore a few files now and then to check the backup works.",
    )),
    ("How do I prepare for a job interview?", (
        "Research the company's products and recent news.",
        "Prepare short stories about problems you solved, with the outcome.",
        "Practise answers out loud with a friend.",
        "Prepare two questions to ask the interviewers at the end.",
    )),
)
GREETINGS = (
    "Great question!", "Happy to help.", "Sure, here is what works well.", "Good question."
)
CLOSINGS = ("I hope this helps!", "Let me know if you have more questions.", "Good luck!", "")
SHORT = ("Not sure.", "Just search online.", "It depends.", "Try it and see.", "Whatever works.")
RUDE = (
    "That's a pretty obvious question, but fine.",
    "Honestly, you could have figured this out yourself.",
    "Ugh, people ask this all the time.",
)
VAGUE = (
    "There are many ways to approach this and it really depends on your situation.",
    "Everyone has their own preferences, so you should do what feels right.",
    "It is a complex topic and opinions differ a lot.",
)
ASK_BEFORE = ("", "", "", "Quick one:", "Hi!", "Please help.", "Question:", "Hello,")
ASK_AFTER = ("", "", "I am a complete beginner.", "Keep it practical.", "What are your top tips?",
             "Thanks in advance!")
FAULTS = {
    "short": "is too short to help",
    "rude": "is rude",
    "vague": "is vague and gives no specifics",
    "off_topic": "answers a different question",
}


def _ask(rng, question: str) -> str:
    return " ".join(filter(None, [pick(rng, ASK_BEFORE), question, pick(rng, ASK_AFTER)]))


def _good_answer(rng, facts, count: int | None = None) -> str:
    count = count or int(rng.integers(2, 4))
    chosen = [facts[i] for i in sorted(rng.choice(len(facts), size=count, replace=False))]
    return " ".join(filter(None, [pick(rng, GREETINGS), *chosen, pick(rng, CLOSINGS)]))


def _worse_answer(rng, fault: str, topic_index: int) -> str:
    facts = TOPICS[topic_index][1]
    if fault == "short":
        return pick(rng, SHORT)
    if fault == "rude":
        return f"{pick(rng, RUDE)} {pick(rng, facts)}"
    if fault == "vague":
        return f"{pick(rng, GREETINGS)} {pick(rng, VAGUE)}"
    other = (topic_index + int(rng.integers(1, len(TOPICS)))) % len(TOPICS)
    return _good_answer(rng, TOPICS[other][1])


def make_preference(n: int, seed: Seed, tie_rate: float = 0.08) -> list[DemoItem]:
    """Prompt + two responses; result {"choice": "A"|"B"|"tie", "reason": ...}."""

    def one(rng):
        topic = int(rng.integers(len(TOPICS)))
        prompt, facts = _ask(rng, TOPICS[topic][0]), TOPICS[topic][1]
        better = _good_answer(rng, facts)
        if rng.random() < tie_rate:
            worse = _good_answer(rng, facts)
            choice, reason = "tie", "Both answers are helpful, polite and specific."
        else:
            fault = pick(rng, tuple(FAULTS))
            worse = _worse_answer(rng, fault, topic)
            choice = "A" if rng.random() < 0.5 else "B"
            loser = "B" if choice == "A" else "A"
            reason = f"{loser} {FAULTS[fault]}."
        a, b = (better, worse) if choice in ("A", "tie") else (worse, better)
        return {"prompt": prompt, "response_a": a, "response_b": b}, {
            "choice": choice,
            "reason": reason,
        }

    return [DemoItem(data=d, result=r) for d, r in distinct(as_rng(seed), one, n)]


POLITE_REWRITES = (  # (rude, polite)
    ("Send me the {doc} now.",
     "Could you please send me the {doc} when you have a moment? Thank you!"),
    ("Your {doc} is wrong, fix it.",
     "I think there may be a mistake in the {doc}. Could you take another look?"),
    ("Why is the {doc} late again?",
     "Could you let me know when the {doc} will be ready? Thanks in advance."),
    ("I need the {doc} by {day}. No excuses.",
     "Would it be possible to have the {doc} by {day}? That would help me a lot."),
)
DOCS = ("report", "invoice", "slides", "contract", "budget", "schedule")
DAYS = ("Monday", "Wednesday", "Friday", "tomorrow")
ITEMS = ("eggs", "milk", "bread", "apples", "rice", "coffee", "soap", "tomatoes", "cheese")
THINGS = (  # (holder, holders, thing)
    ("box", "boxes", "eggs"), ("crate", "crates", "bottles"), ("bag", "bags", "apples"),
    ("shelf", "shelves", "books"),
)


def _sft_row(rng) -> tuple[str, str, str]:
    """(prompt, reference response, a deliberately imperfect draft)."""
    kind = int(rng.integers(4))
    if kind == 0:
        question, facts = TOPICS[int(rng.integers(len(TOPICS)))]
        return _ask(rng, question), _good_answer(rng, facts, count=3), pick(rng, VAGUE)
    if kind == 1:
        rude, polite = POLITE_REWRITES[int(rng.integers(len(POLITE_REWRITES)))]
        slots = {"doc": pick(rng, DOCS), "day": pick(rng, DAYS)}
        message = rude.format(**slots)
        return (
            f'Rewrite this message so it is polite: "{message}"',
            polite.format(**slots),
            message.replace(".", ", please."),
        )
    if kind == 2:
        picked = rng.choice(len(ITEMS), size=int(rng.integers(3, 6)), replace=False)
        chosen = [ITEMS[i] for i in picked]
        listed = ", ".join(chosen[:-1]) + f" and {chosen[-1]}"
        return (
            f"Turn this shopping note into a bulleted list: {listed}.",
            "\n".join(f"- {item}" for item in chosen),
            listed,
        )
    holder, holders, thing = pick(rng, THINGS)
    per, count = int(rng.integers(6, 25)), int(rng.integers(2, 13))
    total = per * count
    return (
        f"A {holder} holds {per} {thing}. How many {thing} are in {count} of them? "
        "Show the calculation.",
        f"{count} × {per} = {total}, so {count} {holders} hold {total} {thing}.",
        f"{count} {holders} hold {total + int(rng.integers(1, 10))} {thing}.",
    )


def make_sft(n: int, seed: Seed, draft_rate: float = 0.3) -> list[DemoItem]:
    """Prompts (some with a flawed draft to improve); result {"response": reference}."""

    def one(rng):
        prompt, response, draft = _sft_row(rng)
        data = {"prompt": prompt}
        if rng.random() < draft_rate:
            data["draft"] = draft
        return data, {"response": response}

    return [DemoItem(data=d, result=r) for d, r in distinct(as_rng(seed), one, n)]
